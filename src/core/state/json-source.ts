/**
 * The fast path for state files in JSON (`kubectl get ... -o json`): JSON.parse, plus what JSON.parse
 * cannot tell: whether any object repeats a key (JSON.parse silently keeps the last one), and the
 * line of the value and of every element of a List's top-level `items`.
 *
 * Repeated keys are found by counting: every `:` outside a string in JSON text ends a key, so the
 * keys written are the text's colons minus those inside strings, and the parsed value must hold as
 * many. The colons inside strings are counted on the parsed strings (keys too), less those that came
 * from a `\u003a` escape. Lines are needed only for a message, so they are found (one scan of the
 * text) only when one asks for them.
 *
 * It answers only for one well-formed JSON value with unique keys and modest nesting; for anything
 * else it returns undefined and the caller reads the text through the YAML parser, which accepts
 * JSON too and gives the messages (with line and column) that files have always got. So this path
 * changes speed, never an answer or an error message. Pure and synchronous.
 */

/** A JSON state file, read: its value and where it and its List items start (1-based lines). */
export interface JsonSource {
  value: unknown;
  line: number;
  /** The line of each element of the top-level object's `items` array, when it has one (scans the text). */
  itemLines(): number[] | undefined;
}

/** Deeper than this, the YAML path (and its messages) decides: nothing Kubernetes writes nests so. */
const MAX_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/** True when the text looks like JSON: its first non-blank character opens an object or array. */
export function looksLikeJson(text: string): boolean {
  const first = /\S/.exec(text);
  return first !== null && (first[0] === '{' || first[0] === '[');
}

export function readJsonSource(text: string): JsonSource | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = walkJson(value);
  if (parsed === undefined) return undefined;
  // match() counts a long text's colons in fewer instructions than an indexOf loop.
  const written = (text.match(/:/g)?.length ?? 0) - (parsed.colonsInStrings - escapedColons(text));
  if (written !== parsed.keys) return undefined;
  let itemLines: number[] | undefined | null = null;
  return {
    value,
    line: firstValueLine(text),
    itemLines() {
      if (itemLines === null) itemLines = scanItemLines(text);
      return itemLines;
    },
  };
}

/** Keys of every object, and colons in every string (keys included); undefined past MAX_DEPTH. */
function walkJson(root: unknown): { keys: number; colonsInStrings: number } | undefined {
  let keys = 0;
  let colonsInStrings = 0;
  // Recursion is bounded by MAX_DEPTH; for-in rather than Object.keys allocates nothing per object
  // (an enumerable key on Object.prototype would only add keys, and so decline the text).
  const walk = (value: unknown, depth: number): boolean => {
    if (typeof value === 'string') {
      if (value.includes(':')) colonsInStrings += countOf(value, ':');
      return true;
    }
    if (value === null || typeof value !== 'object') return true;
    if (depth >= MAX_DEPTH) return false;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (!walk(value[i], depth + 1)) return false;
      return true;
    }
    for (const key in value) {
      keys++;
      if (key.includes(':')) colonsInStrings += countOf(key, ':');
      if (!walk((value as Record<string, unknown>)[key], depth + 1)) return false;
    }
    return true;
  };
  return walk(root, 0) ? { keys, colonsInStrings } : undefined;
}

function countOf(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) n++;
  return n;
}

/** `\u003a` escapes (a colon) in the text; a backslash that is itself escaped starts none. */
function escapedColons(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\\u003'); i !== -1; i = text.indexOf('\\u003', i + 1)) {
    const last = text.charCodeAt(i + 5) | 0x20; // 'a' or 'A'
    if (last !== 0x61) continue;
    let backslashes = 1;
    while (text.charCodeAt(i - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 1) n++;
  }
  return n;
}

/** The line of the first character that is not blank (valid JSON: there is one). */
function firstValueLine(text: string): number {
  const first = /\S/.exec(text)!.index;
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < first; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * One pass over text JSON.parse accepted, noting the line where each element of the top-level
 * object's `items` array starts (valid JSON strings hold no raw newline, so every newline is outside
 * them). Strings are skipped with indexOf.
 */
function scanItemLines(text: string): number[] | undefined {
  const end = text.length;
  let line = 1;
  let depth = 0;
  let topIsObject = false;
  // The last key read directly in the top-level object, and whether its value is the items array.
  let topKey: string | undefined;
  let itemLines: number[] | undefined;
  let inItems = false;
  let awaitingItem = false;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) {
      line++;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d) continue;
    if (awaitingItem && c !== CLOSE_BRACKET) {
      itemLines!.push(line);
      awaitingItem = false;
    }
    switch (c) {
      case QUOTE: {
        const close = closingQuote(text, i);
        if (depth === 1 && topIsObject && nextSignificant(text, close + 1) === COLON) {
          topKey = JSON.parse(text.slice(i, close + 1)) as string;
        }
        i = close;
        break;
      }
      case OPEN_BRACE:
      case OPEN_BRACKET:
        if (depth === 0) topIsObject = c === OPEN_BRACE;
        else if (depth === 1 && topIsObject && c === OPEN_BRACKET && topKey === 'items') {
          inItems = true;
          awaitingItem = true;
          itemLines = [];
        }
        depth++;
        break;
      case CLOSE_BRACE:
      case CLOSE_BRACKET:
        depth--;
        if (depth === 1) inItems = false;
        awaitingItem = false;
        break;
      case COMMA:
        if (inItems && depth === 2) awaitingItem = true;
        break;
      default:
      // numbers, true, false, null: nothing to note.
    }
  }
  return itemLines;
}

/** The index of the quote closing the string that opens at `open` (the text is valid JSON). */
function closingQuote(text: string, open: number): number {
  let close = text.indexOf('"', open + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return close;
    close = text.indexOf('"', close + 1);
  }
}

function nextSignificant(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== NEWLINE) return c;
  }
  return -1;
}
