/**
 * Undoes what Slack (and phones, and word processors) do to a request before it reaches us: links and
 * mentions in angle brackets, HTML entities, smart punctuation, exotic spaces, code spans and
 * bold/italic markup. Pure and total: any string in, one line out. Spans in the parsed request are
 * offsets into this function's output, so it must stay stable: normalising twice changes nothing for
 * the canonical form that formatRequest prints.
 */

/** `<https://10.0.0.1|10.0.0.1>`, `<mailto:x|y>`, `<@U123>`, `<#C123|general>`, `<!here>`. */
const SLACK_ANGLE = /<([@#!][^<>]*|(?:https?|ftp|mailto|tel):[^<>]*)>/gi;
const ENTITY = /&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});/g;
/** A Map, not an object: `&constructor;` must not find Object.prototype.constructor. */
const NAMED_ENTITIES = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
  ['nbsp', ' '],
]);

function slackAngle(inner: string): string {
  const bar = inner.indexOf('|');
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? inner.slice(bar + 1) : undefined;
  switch (inner[0]) {
    case '@':
      // A user mention addresses a person (or the bot itself, in an app mention): never part of a request.
      return ' ';
    case '#':
      return ` #${label ?? target.slice(1)} `;
    case '!':
      // `<!date^...|Feb 18>` shows its fallback text; `<!here>` and user groups are mentions.
      return target.startsWith('!date') && label !== undefined ? label : ' ';
    default:
      return label ?? target.replace(/^(?:https?:\/\/|ftp:\/\/|mailto:|tel:)/i, '');
  }
}

function decodeEntity(match: string, body: string): string {
  if (body[0] === '#') {
    const code =
      body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
  }
  return NAMED_ENTITIES.get(body.toLowerCase()) ?? match;
}

/** Smart quotes, dashes, zero-width characters, fullwidth forms and every kind of space. */
function plainCharacters(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (c === 0x2018 || c === 0x2019 || c === 0x201a || c === 0x201b || c === 0x2032 || c === 0x2035)
      out += "'";
    else if (
      c === 0x201c ||
      c === 0x201d ||
      c === 0x201e ||
      c === 0x201f ||
      c === 0x2033 ||
      c === 0xab ||
      c === 0xbb
    )
      out += '"';
    else if ((c >= 0x2010 && c <= 0x2015) || c === 0x2212 || c === 0xfe58 || c === 0xfe63 || c === 0xff0d)
      out += '-';
    else if ((c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0xfeff || c === 0xad) continue;
    else if (c >= 0xff01 && c <= 0xff5e) out += String.fromCharCode(c - 0xfee0);
    else if (c <= 0x20 || (c >= 0x7f && c <= 0xa0) || /\s/.test(ch)) out += ' ';
    else out += ch;
  }
  return out;
}

const WRAP_END = /^$|^[\s.,;:!?)]/;

/**
 * Strips `*bold*`, `_italic_` and `~strike~` around text. The opening mark must follow a space (or the
 * start) and precede a letter or digit, the closing one must follow a letter or digit: our own `*`
 * (`*` + `/*`, `ns/` + `*`, `* app=x`, `k=*`) never has that shape.
 */
function stripMarkup(text: string): string {
  let out = text;
  for (const mark of ['*', '_', '~']) {
    let result = '';
    let i = 0;
    while (i < out.length) {
      const ch = out[i] as string;
      const opens = ch === mark && (i === 0 || out[i - 1] === ' ') && /[\p{L}\p{N}]/u.test(out[i + 1] ?? '');
      const close = opens ? out.indexOf(mark, i + 1) : -1;
      if (
        close > i + 1 &&
        /[\p{L}\p{N}.]/u.test(out[close - 1] as string) &&
        WRAP_END.test(out.slice(close + 1, close + 2))
      ) {
        result += out.slice(i + 1, close);
        i = close + 1;
      } else {
        result += ch;
        i += 1;
      }
    }
    out = result;
  }
  return out;
}

/** Code spans keep their content verbatim (Slack does not format inside them); the backticks go. */
function stripCodeAndMarkup(text: string): string {
  const parts = text.split(/(`+)/);
  let out = '';
  let inCode = false;
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i] as string;
    if (i % 2 === 1) {
      // A fence (```) separates like a line break; a single backtick just disappears.
      out += part.length >= 3 ? ' ' : '';
      inCode = !inCode;
      continue;
    }
    // Text after an unclosed backtick was never rendered as code.
    const closed = i + 1 < parts.length;
    out += inCode && closed ? part : stripMarkup(part);
  }
  return out;
}

export function normalizeInput(raw: string): string {
  let text = raw.replace(SLACK_ANGLE, (_m, inner: string) => slackAngle(inner));
  text = text.replace(ENTITY, decodeEntity);
  text = plainCharacters(text);
  text = text.replace(/ +/g, ' ').trim();
  text = stripCodeAndMarkup(text);
  text = text.replace(/ +/g, ' ').trim();
  text = text.replace(/^\/netpol(?: |$)/i, '').trim();
  return text;
}
