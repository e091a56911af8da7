/**
 * A reachability question's answer (`can A reach B`, `who can reach X`, `what can X reach`): the
 * question as netpol understood it, then the answer text core/query/answer-query.ts writes, in
 * code blocks split at whole lines. A long answer (up to 50 pairs, or a big namespace's reach list)
 * fills one message and ends with a note of how many lines were left out.
 */
import { type Block, context, message, section, type SlackMessage } from './blocks';
import { code, escapeMrkdwn, plural } from './mrkdwn';
import { codeSections, paginateSections } from './layout';
import { BUDGET, clusterName, whereAndWho } from './parts';

export interface QueryAnswerInput {
  cluster: string;
  /** Who asked (Slack user ID). */
  user?: string;
  /** The question in canonical form (formatRequest). */
  command: string;
  /** The answer as plain text, one line per verdict or reason. */
  answer: string;
}

export function renderQueryAnswer(input: QueryAnswerInput): SlackMessage {
  // Inline code, not bold: selectors such as backend/* would end a bold run.
  const question = code(input.command.slice(0, BUDGET.command));
  const head = section(`:mag: ${question} on cluster ${clusterName(input.cluster)}`);
  const sections = codeSections(input.answer);
  const [body = []] =
    sections.length === 0
      ? [[section('_No answer._')]]
      : paginateSections(sections, {
          reserveBlocks: 2,
          reserveChars: BUDGET.command + 300,
          maxPages: 1,
          moreNote: (omitted) =>
            `_…${plural(omitted, 'more line')} not shown; ask about fewer pods to see them._`,
        });
  const blocks: Block[] = [head, ...body, context(whereAndWho(input.cluster, input.user))];
  return message(`${escapeMrkdwn(input.command)} on cluster ${escapeMrkdwn(input.cluster)}`, blocks);
}
