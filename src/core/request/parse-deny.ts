/**
 * The deny command of the request language, read through a Cursor:
 *
 *   deny = "deny" dir ( "in" nsname | ("to" | "from" | "for") ( endpoint | "ns" nsname ) )
 *          [ "except" peer [ports] { ("|" | "or") peer [ports] } ] [ "--audit" window ] ;
 *
 * A deny isolates pods (or a namespace) and lists what stays allowed. A deny aimed at one peer
 * (`deny ingress from X`) is what people often mean but NetworkPolicy cannot say; it is refused with
 * E_UNSUPPORTED and the request that does the job.
 */
import { NetpolError } from '../errors';
import { formatEndpoint } from './format-request';
import { readAuditTail } from './parse-audit';
import { spanOf, type Cursor } from './parse-cursor';
import { readEndpoint, readPeer } from './parse-endpoints';
import { namespaceAnnounced, readNamespaceWord } from './parse-namespaces';
import { atPorts, readPorts } from './parse-ports';
import type { DenyRequest, Direction, ExceptItem } from './request';
import { DIRECTIONS, looksLikeAddress, quote, type Token } from './tokenizer';

export const DENY_EXAMPLE = 'e.g. deny ingress to backend/app=db except backend/app=api on tcp/5432';

/** `deny ...`; the cursor is on the verb. */
export function readDeny(c: Cursor): DenyRequest {
  c.advance();
  const dirToken = c.peek();
  const direction = dirToken.kind === 'word' ? DIRECTIONS.get(dirToken.text.toLowerCase()) : undefined;
  if (direction === undefined) c.missing(['ingress', 'egress', 'all'], 'after "deny"', DENY_EXAMPLE);
  c.advance();
  const preposition = c.peek();
  const allowed = { ingress: ['to', 'for'], egress: ['from', 'for'], all: ['to', 'from', 'for'] }[direction];
  let subject: DenyRequest['subject'];
  if (c.isWord(preposition, 'in')) {
    c.advance();
    subject = namespaceSubject(c, 'a namespace after "in"');
  } else if (c.isWord(preposition, ...allowed)) {
    c.advance();
    subject = namespaceAnnounced(c)
      ? namespaceSubject(c, 'a namespace')
      : {
          kind: 'endpoint',
          endpoint: readEndpoint(c, `the pods to isolate after ${quote(preposition.text)}`),
        };
  } else if (c.isWord(preposition, 'from', 'to')) {
    peerDeny(c, direction, preposition);
  } else {
    c.missing([...allowed, 'in'], `after ${quote(`deny ${dirToken.text}`)}`, DENY_EXAMPLE);
  }
  const except: ExceptItem[] = [];
  if (c.isWord(c.peek(), 'except')) {
    c.advance();
    except.push(...exceptItems(c));
  }
  const audit = readAuditTail(c, 'e.g. deny all in backend except dns --audit 1h');
  c.end('after the pods to isolate', except.length === 0 ? ['except'] : [], DENY_EXAMPLE);
  return { verb: 'deny', direction, subject, except, ...(audit === undefined ? {} : { audit }) };
}

/** `deny ingress from X` / `deny egress to X`: a deny aimed at one peer, which NetworkPolicy cannot say. */
function peerDeny(c: Cursor, direction: Direction, preposition: Token): never {
  c.advance();
  const next = c.peek();
  const said = `"deny ${direction} ${preposition.text.toLowerCase()}"`;
  if (next.kind === 'word' && looksLikeAddress(next.text)) {
    const [verb, side] = direction === 'ingress' ? ['to', 'hear from'] : ['from', 'reach'];
    c.fail(
      'E_UNSUPPORTED',
      preposition,
      `${quote(`deny ${direction} ${preposition.text.toLowerCase()} ${next.text}`)} cannot be expressed: a NetworkPolicy cannot block one peer`,
      `isolate the pods and list what they may ${side} instead, e.g. deny ${direction} ${verb} default/app=web except ...`,
    );
  }
  let target = 'X';
  try {
    target = formatEndpoint(readEndpoint(c, 'pods'));
  } catch (error) {
    if (!(error instanceof NetpolError)) throw error;
  }
  if (direction === 'ingress') {
    c.fail(
      'E_UNSUPPORTED',
      preposition,
      `${said} cannot be expressed: a NetworkPolicy cannot block one source`,
      `to stop ${target} sending, write "deny egress from ${target}"; ` +
        'to let pods hear only chosen sources, write "deny ingress to PODS except SOURCES"',
    );
  }
  c.fail(
    'E_UNSUPPORTED',
    preposition,
    `${said} cannot be expressed: a NetworkPolicy cannot block one destination`,
    `to stop ${target} receiving, write "deny ingress to ${target}"; ` +
      'to let pods reach only chosen destinations, write "deny egress from PODS except DESTINATIONS"',
  );
}

function exceptItems(c: Cursor): ExceptItem[] {
  const items: ExceptItem[] = [];
  for (;;) {
    const peer = readPeer(c, 'an exception');
    items.push({ peer, ports: atPorts(c) ? readPorts(c) : 'any' });
    const separator = c.peek();
    if (c.isWord(separator, 'and')) {
      c.expected(separator, '"|" or "or" between exceptions', 'e.g. except dns | backend/app=db on tcp/5432');
    }
    if (separator.kind !== '|' && !c.isWord(separator, 'or')) return items;
    c.advance();
  }
}

function namespaceSubject(c: Cursor, what: string): DenyRequest['subject'] {
  const token = readNamespaceWord(c, what);
  return { kind: 'namespace', namespace: token.text, span: spanOf(token) };
}
