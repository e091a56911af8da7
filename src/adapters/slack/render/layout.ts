/**
 * Fitting long content into Slack's limits: lines (already escaped mrkdwn) packed into sections of
 * at most SECTION_BUDGET characters, preformatted text split into code-block sections, sections into
 * pages (messages) of at most 50 blocks and a total size under msg_blocks_too_long, with a note
 * saying how much was left out when even the last allowed page is full. Pure.
 */
import { type Block, clip, section, type SectionBlock, SLACK_LIMITS } from './blocks';
import { codeBlockEscaped, fitLines } from './mrkdwn';

/** Room left under the 3,000-character section limit for a closing note or fence. */
export const SECTION_BUDGET = 2900;

export interface PackedSection {
  block: SectionBlock;
  /** How many input lines it holds. */
  lines: number;
}

/** Lines joined by newlines into as few sections as fit; a line longer than a section is clipped. */
export function packSections(lines: readonly string[], maxChars: number = SECTION_BUDGET): PackedSection[] {
  const out: PackedSection[] = [];
  let current: string[] = [];
  let used = 0;
  const flush = (): void => {
    if (current.length > 0) out.push({ block: section(current.join('\n')), lines: current.length });
    current = [];
    used = 0;
  };
  for (const raw of lines) {
    const line = clip(raw, maxChars);
    const cost = line.length + (current.length === 0 ? 0 : 1);
    if (used + cost > maxChars) flush();
    used += line.length + (current.length === 0 ? 0 : 1);
    current.push(line);
  }
  flush();
  return out;
}

/** Closes a section whose code block holds only the first part of a line (see codeSections). */
export const LINE_CONTINUES_NOTE = '_↪ this line continues in the next block_';

/**
 * Raw preformatted text (YAML, help, a query's answer) as code-block sections, split at whole lines;
 * no sections for empty text. A line longer than a section is cut, or with `{ longLines: 'continue' }`
 * (an approver must read every character: the full YAML) split over consecutive sections, each part
 * but the last closed by LINE_CONTINUES_NOTE after its fence, where the text itself cannot put it.
 */
export function codeSections(raw: string, options: { longLines?: 'cut' | 'continue' } = {}): PackedSection[] {
  const out: PackedSection[] = [];
  // The fence takes 6 characters of the section: 10 keeps a margin.
  const budget = SECTION_BUDGET - 10;
  let rest = raw.replace(/\n+$/, '');
  while (rest !== '') {
    const newline = rest.indexOf('\n');
    const first = newline < 0 ? rest : rest.slice(0, newline);
    if (options.longLines === 'continue' && codeLength(first) > budget) {
      const partBudget = budget - LINE_CONTINUES_NOTE.length - 1;
      let cut = first.length;
      while (codeLength(first.slice(0, cut)) > partBudget) cut = Math.floor(cut * 0.95);
      const part = first.slice(0, cut);
      out.push({
        block: section(
          `${codeBlockEscaped(fitLines(part, budget, { code: true }).text)}\n${LINE_CONTINUES_NOTE}`,
        ),
        lines: 0,
      });
      rest = rest.slice(cut);
      continue;
    }
    const fitted = fitLines(rest, budget, { code: true });
    out.push({ block: section(codeBlockEscaped(fitted.text)), lines: fitted.shownLines });
    rest = rest.split('\n').slice(fitted.shownLines).join('\n');
  }
  return out;
}

/** Escaped, fence-defused length of one line of a code block. */
function codeLength(line: string): number {
  return fitLines(line, Number.MAX_SAFE_INTEGER, { code: true }).text.length;
}

/** Characters of text a block carries (what counts towards msg_blocks_too_long). */
export function blockChars(block: Block): number {
  switch (block.type) {
    case 'section':
      return (block.text?.text.length ?? 0) + (block.fields ?? []).reduce((n, f) => n + f.text.length, 0);
    case 'header':
      return block.text.text.length;
    case 'context':
      return block.elements.reduce((n, e) => n + e.text.length, 0);
    case 'actions':
      return block.elements.reduce((n, e) => n + e.text.text.length + e.value.length, 0);
    case 'divider':
      return 0;
  }
}

export function totalChars(blocks: readonly Block[]): number {
  return blocks.reduce((n, b) => n + blockChars(b), 0);
}

export interface PageOptions {
  /** Blocks and characters each page keeps free for what the caller adds around the body. */
  reserveBlocks: number;
  reserveChars: number;
  maxPages: number;
  /** The note closing the last page when lines were left out (escaped mrkdwn). */
  moreNote: (omittedLines: number) => string;
}

/**
 * Body sections split into pages. When they do not fit in `maxPages`, the last page ends with the
 * note instead of its last sections.
 */
export function paginateSections(sections: readonly PackedSection[], options: PageOptions): SectionBlock[][] {
  const maxBlocks = SLACK_LIMITS.blocksPerMessage - options.reserveBlocks;
  const maxChars = SLACK_LIMITS.messageBlockChars - options.reserveChars;
  const pages: PackedSection[][] = [];
  let page: PackedSection[] = [];
  let chars = 0;
  for (const s of sections) {
    const cost = blockChars(s.block);
    if (page.length > 0 && (page.length + 1 > maxBlocks || chars + cost > maxChars)) {
      pages.push(page);
      page = [];
      chars = 0;
    }
    page.push(s);
    chars += cost;
  }
  if (page.length > 0) pages.push(page);
  if (pages.length <= options.maxPages) return pages.map((p) => p.map((s) => s.block));

  const kept = pages.slice(0, options.maxPages);
  const last = kept[kept.length - 1]!;
  const shown = kept.flat().reduce((n, s) => n + s.lines, 0);
  const all = sections.reduce((n, s) => n + s.lines, 0);
  // Make room for the note: one block and its characters.
  let omitted = all - shown;
  const noteRoom = (): boolean =>
    last.length + 1 <= maxBlocks &&
    last.reduce((n, s) => n + blockChars(s.block), 0) + options.moreNote(omitted).length <= maxChars;
  while (last.length > 1 && !noteRoom()) omitted += last.pop()!.lines;
  const note: PackedSection = { block: section(options.moreNote(omitted)), lines: 0 };
  return kept.map((p, i) => [...p, ...(i === kept.length - 1 ? [note] : [])].map((s) => s.block));
}
