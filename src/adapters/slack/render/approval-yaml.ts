/**
 * The YAML part of the approval card. When the whole YAML fits, the card shows it as it always did
 * and nothing goes to the thread. When it does not, the card shows the spec (what is enforced) as
 * far as it fits, with the metadata that only records provenance summarised: each policy's
 * `annotations` become one line saying how many there are, and any other line longer than
 * CARD_LINE_MAX characters is clipped, so a long annotation or label is never what hides the spec.
 * The full YAML then goes in the card's thread (renderApprovalThread), and the card says so. Pure.
 */
import { type Block, context, section } from './blocks';
import { codeBlockEscaped, fitLines, plural } from './mrkdwn';
import { BUDGET } from './parts';
import { SECTION_BUDGET } from './layout';

/** Longer lines are clipped on a summarised card (the thread has them whole). */
export const CARD_LINE_MAX = 160;

export interface ApprovalYaml {
  blocks: Block[];
  /** The card does not show the YAML whole: the full YAML must be in the thread before any button. */
  needsThread: boolean;
}

/** How many lines the YAML has, as the thread and the card count them. */
export function yamlLineCount(yaml: string): number {
  const body = yaml.replace(/\n+$/, '');
  return body === '' ? 0 : body.split('\n').length;
}

/**
 * `annotations:` blocks of top-level `metadata` (indented two spaces) collapsed to one line, and
 * long lines clipped. A YAML comment marks each summary, so the code block still reads as YAML.
 */
export function summariseMetadata(yaml: string): string {
  const lines = yaml.replace(/\n+$/, '').split('\n');
  const out: string[] = [];
  let inMetadata = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\S/.test(line)) inMetadata = line === 'metadata:';
    if (inMetadata && line === '  annotations:') {
      let end = i + 1;
      let count = 0;
      while (end < lines.length && /^ {3,}/.test(lines[end]!)) {
        if (/^ {4}\S/.test(lines[end]!)) count++;
        end++;
      }
      out.push(`  annotations: # ${plural(count, 'annotation')} (provenance), in full in the thread`);
      i = end - 1;
      continue;
    }
    out.push(line.length > CARD_LINE_MAX ? `${line.slice(0, CARD_LINE_MAX - 1)}…` : line);
  }
  return out.join('\n');
}

export function approvalYaml(
  yaml: string,
  options: { title: string; open: boolean; threadPosted: boolean },
): ApprovalYaml {
  const budget = Math.min(BUDGET.yaml, SECTION_BUDGET - options.title.length - 10);
  const whole = fitLines(yaml, budget, { code: true });
  if (!whole.truncated) {
    return { blocks: [section(`${options.title}\n${codeBlockEscaped(whole.text)}`)], needsThread: false };
  }
  const total = yamlLineCount(yaml);
  const shown = fitLines(summariseMetadata(yaml), budget, { code: true });
  const notes = [
    `:scissors: The card shows ${plural(shown.shownLines, 'line')} of the YAML, annotations summarised and long lines clipped; ` +
      `*full YAML (${plural(total, 'line')}) in the thread*.`,
  ];
  if (options.open && !options.threadPosted)
    notes.push(
      ':hourglass_flowing_sand: Posting the full YAML in the thread: Approve and Reject appear once every line is there.',
    );
  return {
    blocks: [section(`${options.title}\n${codeBlockEscaped(shown.text)}`), context(notes.join('\n'))],
    needsThread: true,
  };
}
