import { HELP_TEXT, HELP_TOPICS, helpText, helpTopic } from './help';
import { parseRequest } from './parser';

const VERB = /^(?:\d+a?\s+)?((?:allow|deny|isolate|can|who|what|help)\b.*)$/;

/** The example requests on a page: lines starting with a verb, without placeholders or comments. */
function examples(page: string): string[] {
  const found: string[] = [];
  for (const line of page.split('\n')) {
    for (const part of line.trim().split(/\s{3,}/)) {
      const match = VERB.exec(part.trim());
      if (match === null) continue;
      const text = (match[1] as string).replace(/\s+\(.*\)$/, '');
      if (/\b[A-Z]{2,}\b|\[|\.\.\./.test(text)) continue;
      found.push(text);
    }
  }
  return found;
}

describe('help', () => {
  it('fits every page in one Slack section', () => {
    expect(HELP_TEXT.length).toBeLessThan(3000);
    for (const topic of HELP_TOPICS) {
      const page = helpText(topic);
      expect(page.length).toBeGreaterThan(100);
      expect(page.length).toBeLessThan(3000);
    }
  });

  it('gives examples that parse, on every page', () => {
    let count = 0;
    for (const page of [HELP_TEXT, ...HELP_TOPICS.map((t) => helpText(t))]) {
      for (const example of examples(page)) {
        expect(() => parseRequest(example)).not.toThrow();
        count += 1;
      }
    }
    expect(count).toBeGreaterThan(30);
  });

  it('names every topic in the overview', () => {
    for (const topic of HELP_TOPICS) expect(HELP_TEXT).toContain(topic);
  });

  it('reads topic aliases and refuses unknown topics with the overview', () => {
    expect(helpTopic('PORT')).toBe('ports');
    expect(helpTopic('who')).toBe('query');
    expect(helpTopic('examples')).toBe('recipes');
    expect(helpTopic('constructor')).toBeUndefined();
    expect(helpText()).toBe(HELP_TEXT);
    expect(helpText('  ')).toBe(HELP_TEXT);
    expect(helpText('Selector')).toBe(helpText('selectors'));
    expect(helpText('nope')).toBe(`There is no help topic "nope".\n\n${HELP_TEXT}`);
  });
});
