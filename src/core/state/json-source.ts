/**
 * The fast path for state files in JSON (`kubectl get ... -o json`): JSON.parse, plus one scan of
 * the text that yields what JSON.parse cannot tell, the line of the value and of every element of a
 * List's top-level `items`, and whether any object repeats a key (JSON.parse silently keeps the last
 * one: the scan counts the keys written, and the parsed value must hold as many).
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
  /** The line of each element of the top-level object's `items` array, when it has one. */
  itemLines: number[] | undefined;
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
  const scan = scanJson(text);
  if (scan === undefined || scan.keys !== countKeys(value)) return undefined;
  const items = (value as { items?: unknown }).items;
  if (scan.itemLines !== undefined && (!Array.isArray(items) || items.length !== scan.itemLines.length)) {
    return undefined;
  }
  return { value, line: scan.line, itemLines: scan.itemLines };
}

interface Scan {
  line: number;
  keys: number;
  itemLines: number[] | undefined;
}

/**
 * One pass over text JSON.parse accepted: counts keys (one `:` outside strings each), counts lines
 * (valid JSON strings hold no raw newline, so every newline is outside them) and notes the line
 * where each element of the top-level `items` array starts. Strings are skipped with indexOf.
 */
function scanJson(text: string): Scan | undefined {
  const end = text.length;
  let line = 1;
  let valueLine = 0;
  let keys = 0;
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
    if (valueLine === 0) valueLine = line;
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
        if (++depth > MAX_DEPTH) return undefined;
        break;
      case CLOSE_BRACE:
      case CLOSE_BRACKET:
        depth--;
        if (depth === 1) inItems = false;
        awaitingItem = false;
        break;
      case COLON:
        keys++;
        break;
      case COMMA:
        if (inItems && depth === 2) awaitingItem = true;
        break;
      default:
      // numbers, true, false, null: nothing to note.
    }
  }
  return { line: valueLine, keys, itemLines };
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

/** Own keys of every object in a parsed JSON value, without recursion (the value may nest deeply). */
function countKeys(root: unknown): number {
  let keys = 0;
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const element of value) pending.push(element);
    } else {
      for (const key of Object.keys(value)) {
        keys++;
        pending.push((value as Record<string, unknown>)[key]);
      }
    }
  }
  return keys;
}
