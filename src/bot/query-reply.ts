/** A reachability answer (text from the query answerer) as a Slack message: the question, then the answer as code. */
import type { SlackMessage } from '../adapters/slack/render';

const MAX_SECTION = 2900;

export function renderQueryAnswer(input: {
  cluster: string;
  user: string;
  command: string;
  answer: string;
}): SlackMessage {
  const body =
    input.answer.length > MAX_SECTION ? `${input.answer.slice(0, MAX_SECTION)}\n… (truncated)` : input.answer;
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    text: `${input.command} (cluster ${input.cluster})`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*${escape(input.command)}* on cluster \`${input.cluster}\`` },
      },
      { type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${escape(body)}\`\`\`` } },
    ],
  };
}
