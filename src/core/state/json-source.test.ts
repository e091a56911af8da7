/**
 * The JSON fast path must read exactly what the YAML parser reads from the same text (the value,
 * the line of the value and of each List item), and decline whenever it cannot be sure: duplicate
 * keys, deep nesting, more than one document, anything JSON.parse refuses.
 */
import fc from 'fast-check';
import { LineCounter, parseAllDocuments } from 'yaml';
import { looksLikeJson, readJsonSource } from './json-source';

/** What the YAML path makes of a one-document text: value, its line, its items' lines. */
function readWithYaml(text: string) {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(docs) || docs.length !== 1) return undefined;
  const doc = docs[0]!;
  if (doc.errors.length > 0) return undefined;
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? 1 : lineCounter.linePos(offset).line;
  const value: unknown = doc.toJS();
  const items = (value as { items?: unknown } | null)?.items;
  const itemLines = Array.isArray(items)
    ? items.map((_, i) => lineOf((doc.getIn(['items', i], true) as { range?: number[] }).range?.[0]))
    : undefined;
  return { value, line: lineOf(doc.contents?.range?.[0]), itemLines };
}

const indent = fc.constantFrom(0, 1, 2, 4, '\t');
const leading = fc.constantFrom('', '\n', '  \n\n', '\r\n \t');
const listOf = (item: fc.Arbitrary<unknown>) =>
  fc.record({
    apiVersion: fc.constant('v1'),
    kind: fc.constantFrom('List', 'PodList'),
    items: fc.array(item, { maxLength: 6 }),
    metadata: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
  });
const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  listOf(fc.jsonValue({ maxDepth: 3 })),
  listOf(
    fc.dictionary(fc.constantFrom('kind', 'items', 'a"b', 'é', '\\', ''), fc.jsonValue({ maxDepth: 2 })),
  ),
);

describe('readJsonSource', () => {
  it('reads what the YAML parser reads, with the same lines, for any JSON object or array', () => {
    fc.assert(
      fc.property(anyJson, indent, leading, fc.boolean(), (value, space, before, crlf) => {
        const json = `${before}${JSON.stringify(value, null, space)}\n`;
        // Windows line ends too; a lone \r (which YAML, unlike JSON, reads as a line break) never occurs.
        const text = crlf ? json.replace(/\r?\n/g, '\r\n') : json;
        if (!looksLikeJson(text)) return;
        const fast = readJsonSource(text);
        expect(fast).toBeDefined();
        expect(fast!.value).toEqual(JSON.parse(text));
        const slow = readWithYaml(text);
        // The YAML parser refuses a few valid JSON texts (keys over 1,024 characters): nothing to compare.
        if (slow === undefined) return;
        expect(fast!.value).toEqual(slow.value);
        expect(fast!.line).toBe(slow.line);
        const isList = slow.value !== null && typeof slow.value === 'object' && !Array.isArray(slow.value);
        if (isList && slow.itemLines !== undefined) expect(fast!.itemLines()).toEqual(slow.itemLines);
      }),
      { numRuns: 2000 },
    );
  });

  it('notes each List item at the line where it starts', () => {
    const text = '\n{"kind": "List", "items": [\n  {"a": [1, {"items": [2]}]},\n\n  3, {"b": "x,y]"}\n]}\n';
    const read = readJsonSource(text);
    expect(read?.value).toEqual({ kind: 'List', items: [{ a: [1, { items: [2] }] }, 3, { b: 'x,y]' }] });
    expect(read?.line).toBe(2);
    expect(read?.itemLines()).toEqual([3, 5, 5]);
  });

  it.each([
    ['a repeated key', '{"kind": "Pod", "metadata": {"name": "a", "name": "b"}}'],
    ['a key repeated through an escape', '{"a": 1, "\\u0061": 2}'],
    ['a repeated key, with colons in strings', '{"a": "x:y", "b": ":", "a": "1:2"}'],
    ['a repeated key whose lost value held an escaped colon', '{"a": "\\u003a", "a": 1}'],
    ['a repeated top-level items', '{"kind": "List", "items": [], "items": [{}]}'],
    ['several documents', '{"kind": "Pod"}\n---\n{"kind": "Pod"}'],
    ['JSON with a YAML tail', '{"kind": "Pod"}\nmetadata: {}'],
    ['a syntax error', '{"kind": "Pod",}'],
    ['nesting past 256 levels', `${'['.repeat(300)}${']'.repeat(300)}`],
  ])('declines %s (the YAML path answers as it always has)', (_what, text) => {
    expect(readJsonSource(text)).toBeUndefined();
  });

  it('reads colons inside keys and strings, escaped ones too, as no keys', () => {
    for (const text of [
      '{"url": "http://a:80", "a:b": [":", "::"]}',
      '{"a": "\\u003a", "\\u003A": 1}',
      '{"a": "\\\\u003a"}', // an escaped backslash, then the text u003a: no colon at all
    ]) {
      expect(readJsonSource(text)?.value).toEqual(JSON.parse(text));
    }
  });

  it('takes only text whose first non-blank character opens an object or array', () => {
    expect(looksLikeJson(' \n{}')).toBe(true);
    expect(looksLikeJson('[1]')).toBe(true);
    expect(looksLikeJson('"text"')).toBe(false);
    expect(looksLikeJson('kind: Pod')).toBe(false);
    expect(looksLikeJson('')).toBe(false);
  });
});
