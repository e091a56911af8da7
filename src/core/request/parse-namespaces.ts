/**
 * The namespace part of the request language, read through a Cursor: a name, `*` or `ns(selector)`
 * before the pods of an endpoint, and a namespace named alone (`isolate backend`, `deny all in ns
 * backend`). Names are checked against Kubernetes' rules, with specific messages for the usual mistakes
 * (host names, `host:port`, upper case, a label where the namespace should be).
 */
import { dns1123LabelProblem } from '../k8s/names';
import { spanOf, type Cursor } from './parse-cursor';
import { labelAt, readRequirements } from './parse-selectors';
import type { NamespaceRef } from './request';
import { quote, STOP_WORDS, type Token } from './tokenizer';

export const ENDPOINT_EXAMPLE =
  'e.g. backend/*, frontend/app=nginx, frontend nginx, */app=web or ns(team=ops)/*';

/** The namespace of an endpoint, starting at `first` (the cursor's token); `what` names the endpoint. */
export function readNamespaceRef(c: Cursor, first: Token, what: string): NamespaceRef {
  if (first.kind === '*') {
    c.advance();
    return { kind: 'all', span: spanOf(first) };
  }
  if (c.isWord(first, 'ns') && c.peek(1).kind === '(') {
    c.advance();
    c.advance();
    const requirements =
      c.peek().kind === ')' ? [] : readRequirements(c, 'namespace').map((r) => r.requirement);
    const close = c.peek();
    if (close.kind !== ')') {
      c.expected(
        close,
        '"," or ")" in the namespace selector',
        'e.g. ns(team=operations)/* or ns(env in (a,b))/*',
      );
    }
    c.advance();
    const span = c.spanFrom(first);
    return requirements.length === 0 ? { kind: 'all', span } : { kind: 'selector', requirements, span };
  }
  if (first.kind === 'word' && (c.peek(1).kind === '/' || !STOP_WORDS.has(first.text.toLowerCase()))) {
    if (labelAt(c, 1) || (first.text.includes('.') && c.tightSlashAt(1))) noNamespace(c, first);
    c.advance();
    return { kind: 'name', name: namespaceName(c, first), span: spanOf(first) };
  }
  if (first.kind === '!') noNamespace(c, first);
  c.expected(first, what, ENDPOINT_EXAMPLE);
}

function noNamespace(c: Cursor, first: Token): never {
  const rest = c.textFrom(first);
  const several = c.peek(1).kind === ',' ? '; to list several peers, separate them with "|"' : '';
  c.fail(
    'E_SYNTAX',
    first,
    `expected a namespace before ${quote(rest)}`,
    `write NAMESPACE/${rest}, e.g. default/${rest}, or */${rest} for every namespace${several}`,
  );
}

/** A namespace name, with a specific message for the usual mistakes. */
function namespaceName(c: Cursor, token: Token): string {
  const name = token.text;
  const hostPort = /^([^:]+):([0-9]{1,5})$/.exec(name);
  if (hostPort !== null) {
    const hint = `write the port with "on": ${hostPort[1]} on tcp/${hostPort[2]}`;
    c.fail('E_SYNTAX', token, `${quote(name)} mixes an address and a port`, hint);
  }
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z][a-z0-9-]*$/i.test(name)) {
    c.fail(
      'E_UNSUPPORTED',
      token,
      `${quote(name)} looks like a host name, and NetworkPolicy cannot match host names`,
      'use "public on tcp/443", the address range (CIDR), or a CNI-specific FQDN policy',
    );
  }
  if (name.includes('.')) c.invalid(token, `namespace ${quote(name)} must not contain "."`, ENDPOINT_EXAMPLE);
  const lower = name.toLowerCase();
  if (lower !== name && dns1123LabelProblem(lower) === undefined) {
    c.invalid(token, `namespace ${quote(name)} must be lower case`, `write "${lower}"`);
  }
  const problem = dns1123LabelProblem(name);
  if (problem !== undefined) c.invalid(token, `namespace ${quote(name)} ${problem}`, ENDPOINT_EXAMPLE);
  return name;
}

/** `ns foo` or `namespace foo`: the word announces the namespace name that follows. */
export function namespaceAnnounced(c: Cursor): boolean {
  const next = c.peek(1);
  const named = next.kind === 'word' && next.spaceBefore && !STOP_WORDS.has(next.text.toLowerCase());
  return c.isWord(c.peek(), 'ns', 'namespace') && named;
}

/** A namespace name alone, optionally announced by `ns` or `namespace` (`from ns foo`). */
export function readNamespaceWord(c: Cursor, what: string): Token {
  if (namespaceAnnounced(c)) c.advance();
  const token = c.peek();
  if (token.kind !== 'word') c.expected(token, what, 'e.g. backend');
  c.advance();
  namespaceName(c, token);
  if (c.peek().kind === '/') {
    c.expected(
      c.peek(),
      'a namespace name alone',
      'for some pods of it, write e.g. deny ingress to backend/app=db',
    );
  }
  return token;
}
