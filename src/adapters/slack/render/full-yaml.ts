/**
 * The whole YAML of a request, for the approval message's thread when the card had to summarise it:
 * an approver must be able to read every line of what they approve. Split at line boundaries into
 * code-block sections (a line longer than a section continues in the next one, never cut) and, when
 * needed, several messages.
 */
import { type Block, context, message, section, type SlackMessage } from './blocks';
import { escapeMrkdwn } from './mrkdwn';
import { codeSections, paginateSections } from './layout';
import { clusterName } from './parts';

export interface FullYamlInput {
  cluster: string;
  requestId: string;
  yaml: string;
  /**
   * At most this many messages (default 10); beyond, the last one says how much is missing. The
   * approval thread passes Infinity: nothing may be missing there.
   */
  maxMessages?: number;
}

export function renderFullYaml(input: FullYamlInput): SlackMessage[] {
  const sections = codeSections(input.yaml, { longLines: 'continue' });
  if (sections.length === 0) sections.push({ block: section('_(empty)_'), lines: 0 });
  const pages = paginateSections(sections, {
    reserveBlocks: 1,
    reserveChars: 300,
    maxPages: input.maxMessages ?? 10,
    moreNote: (omitted) => `_…${omitted} more lines not shown._`,
  });
  const id = `\`${escapeMrkdwn(input.requestId)}\``;
  return pages.map((body, i) => {
    const part = pages.length > 1 ? ` (${i + 1}/${pages.length})` : '';
    const blocks: Block[] = [
      context(`Full YAML of request ${id} on cluster ${clusterName(input.cluster)}${part}`),
      ...body,
    ];
    return message(`Full YAML of request ${escapeMrkdwn(input.requestId)}${part}`, blocks);
  });
}
