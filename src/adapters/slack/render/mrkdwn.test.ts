import { caretEcho } from './error-reply';
import { packSections, paginateSections } from './layout';
import {
  channelMention,
  code,
  codeBlock,
  escapeKeepingMentions,
  escapeMrkdwn,
  fitLines,
  fitText,
  formatDuration,
  formatUtc,
  mention,
  relativeTo,
} from './mrkdwn';

describe('escaping', () => {
  it('escapes &, < and > so user text never becomes a link, mention or broadcast', () => {
    expect(escapeMrkdwn('<!channel> & <@U1|x> > y')).toBe('&lt;!channel&gt; &amp; &lt;@U1|x&gt; &gt; y');
  });

  it('mentions only real IDs; anything else is shown as text', () => {
    expect(mention('U0123ABC')).toBe('<@U0123ABC>');
    expect(mention('W0123ABC')).toBe('<@W0123ABC>');
    expect(mention('<!here>')).toBe('&lt;!here&gt;');
    expect(channelMention('C0123')).toBe('<#C0123>');
    expect(channelMention('general')).toBe('general');
  });

  it("keeps the bot's own mention tokens and escapes the rest", () => {
    expect(escapeKeepingMentions('already approved by <@U2ABC> in <#C9XYZ> <!everyone> & <b>')).toBe(
      'already approved by <@U2ABC> in <#C9XYZ> &lt;!everyone&gt; &amp; &lt;b&gt;',
    );
  });

  it('keeps inline code and code blocks closed whatever the text', () => {
    expect(code('a`b\nc')).toBe('`aˋb c`');
    const block = codeBlock('x ``` y');
    expect(block.startsWith('```') && block.endsWith('```')).toBe(true);
    expect(block.slice(3, -3)).not.toContain('```');
  });
});

describe('fitting text', () => {
  it('keeps whole lines and reports what was cut', () => {
    const fitted = fitLines('aaa\nbbb\nccc\n', 8);
    expect(fitted).toEqual({ text: 'aaa\nbbb', shownLines: 2, totalLines: 3, truncated: true });
    expect(fitLines('aaa\nbbb', 100).truncated).toBe(false);
  });

  it('counts the escaped length and never splits an entity', () => {
    const fitted = fitLines('<'.repeat(100), 20);
    expect(fitted.text.length).toBeLessThanOrEqual(20);
    expect(fitted.text).toMatch(/^(&lt;)+…$/);
    const cut = fitText('a & b '.repeat(100), 50);
    expect(cut.length).toBeLessThanOrEqual(50);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).not.toMatch(/&(?!amp;|lt;|gt;)/);
  });
});

describe('times', () => {
  it('formats UTC to the minute, and an unparseable value as given', () => {
    expect(formatUtc('2026-11-22T10:01:59.999Z')).toBe('2026-11-22 10:01 UTC');
    expect(formatUtc('2026-11-22T11:01:00+01:00')).toBe('2026-11-22 10:01 UTC');
    expect(formatUtc('soon <b>')).toBe('soon &lt;b&gt;');
  });

  it('says how far away a time is', () => {
    expect(formatDuration(59_000)).toBe('less than a minute');
    expect(formatDuration(5 * 60_000)).toBe('5 min');
    expect(formatDuration(2 * 3600_000)).toBe('2 h');
    expect(formatDuration(26 * 3600_000 + 60_000)).toBe('1 d 2 h');
    expect(relativeTo('2026-11-22T12:00:00Z', '2026-11-22T10:00:00Z')).toBe('in 2 h');
    expect(relativeTo('2026-11-22T09:55:00Z', '2026-11-22T10:00:00Z')).toBe('5 min ago');
    expect(relativeTo('x', '2026-11-22T10:00:00Z')).toBeUndefined();
  });
});

describe('caretEcho', () => {
  it('puts the caret under the 1-based column', () => {
    expect(caretEcho('allow a too b', 9)).toBe('allow a too b\n        ^');
  });

  it('points past the end for a missing word, and clamps a column beyond it', () => {
    expect(caretEcho('allow a', 8)).toBe('allow a\n       ^');
    expect(caretEcho('allow a', 80)).toBe('allow a\n       ^');
  });

  it('windows long text around the column, keeping the caret under the same character', () => {
    const text = `${'x'.repeat(150)}HERE${'y'.repeat(150)}`;
    const [line, caret] = caretEcho(text, 151).split('\n') as [string, string];
    expect(line.length).toBeLessThanOrEqual(102);
    expect(line[caret.length - 1]).toBe('H');
  });
});

describe('layout', () => {
  it('packs lines into sections under the budget, clipping a line longer than one', () => {
    const packed = packSections(['a'.repeat(1500), 'b'.repeat(1500), 'c'.repeat(5000)], 2900);
    expect(packed.map((p) => p.lines)).toEqual([1, 1, 1]);
    for (const p of packed) expect(p.block.text!.text.length).toBeLessThanOrEqual(2900);
  });

  it('splits into pages and closes the last allowed page with a note counting what was left out', () => {
    const sections = packSections(Array.from({ length: 200 }, (_, i) => `line ${i} ${'z'.repeat(2000)}`));
    const pages = paginateSections(sections, {
      reserveBlocks: 2,
      reserveChars: 500,
      maxPages: 2,
      moreNote: (n) => `${n} more`,
    });
    expect(pages).toHaveLength(2);
    const shown = pages.flat().filter((b) => b.text!.text.startsWith('line')).length;
    expect(pages[1]!.at(-1)!.text!.text).toBe(`${200 - shown} more`);
  });
});
