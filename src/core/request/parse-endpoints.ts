/**
 * Peers and endpoints of the request language, read through a Cursor:
 *
 *   peers    = peer { ("|" | "or" | "and") peer } ;
 *   peer     = "all" | keyword | cidr | endpoint ;
 *   endpoint = ( nsname | "*" | "ns" "(" [reqs] ")" ) [ "/" pods | pods-after-a-space ] ;
 *   pods     = "*" | kind "/" name | reqs | word ;
 *
 * Owns the space form (`frontend nginx`): a pod part after a space is any word but the STOP_WORDS, and
 * the cursor remembers such a bare word so a missing keyword can be blamed on it (see parse-cursor.ts).
 */
import { dns1123SubdomainProblem, labelValueProblem } from '../k8s/names';
import { readCidr } from './parse-cidr';
import { spanOf, type Cursor } from './parse-cursor';
import { ENDPOINT_EXAMPLE, readNamespaceRef } from './parse-namespaces';
import { checkKeys, labelAt, readRequirements, type RawRequirement } from './parse-selectors';
import type { EndpointRef, PeerRef, PodRef } from './request';
import { didYouMean, KEYWORDS, KINDS, looksLikeAddress, quote, STOP_WORDS, type Token } from './tokenizer';

/** Words that mean different things to different people (REFERENCE §2.7 items 7 and 8). */
const VAGUE_WORDS = new Set(['any', 'anything', 'anywhere', 'everything', 'everyone', 'internet', 'outside']);
export const VAGUE_HINT =
  'write "all" for everything (outside the cluster too), "*/*" for every pod in every namespace, ' +
  'or "world" or "public" for outside the cluster';

export function readPeers(c: Cursor, what: string): { peers: PeerRef[]; andAsOr: boolean } {
  const peers = [readPeer(c, what)];
  let andAsOr = false;
  for (;;) {
    const separator = c.peek();
    if (c.isWord(separator, 'and')) andAsOr = true;
    else if (separator.kind !== '|' && !c.isWord(separator, 'or')) break;
    c.advance();
    peers.push(readPeer(c, `a peer after ${quote(separator.text)}`));
  }
  const all = peers.find((p) => p.type === 'all');
  if (all !== undefined && peers.length > 1) {
    c.fail(
      'E_SYNTAX',
      all.span.start,
      '"all" already means everything and cannot be combined with other peers',
      'write "all" alone, or "*/*" for every pod in every namespace',
    );
  }
  return { peers, andAsOr };
}

/** `all`, a keyword, an address or an endpoint. A keyword followed by `/` is a namespace (`dns/*`). */
export function readPeer(c: Cursor, what: string): PeerRef {
  const token = c.peek();
  if (token.kind === 'word' && c.peek(1).kind !== '/') {
    const lower = token.text.toLowerCase();
    const keyword = KEYWORDS.get(lower);
    if (lower === 'all' || keyword !== undefined) {
      c.advance();
      return keyword === undefined
        ? { type: 'all', span: spanOf(token) }
        : { type: 'keyword', keyword, span: spanOf(token) };
    }
    if (VAGUE_WORDS.has(lower))
      c.fail('E_SYNTAX', token, `${quote(token.text)} is ambiguous here`, VAGUE_HINT);
  }
  if (token.kind === 'word' && looksLikeAddress(token.text)) return { type: 'cidr', ...readCidr(c) };
  return readEndpoint(c, what);
}

export function readEndpoint(c: Cursor, what: string): EndpointRef {
  const first = c.peek();
  c.spacedPodWord = undefined;
  const namespace = readNamespaceRef(c, first, what);
  const separator = c.peek();
  let pods: PodRef;
  if (separator.kind === '/') {
    c.advance();
    const next = c.peek();
    if (next.spaceBefore && next.kind === 'word' && STOP_WORDS.has(next.text.toLowerCase())) {
      c.expected(
        next,
        `pods after ${quote(`${c.text.slice(first.start, separator.end)}`)}`,
        'e.g. backend/*',
      );
    }
    pods = readPods(c);
  } else if (startsSpacedPods(separator)) {
    pods = readPods(c);
    if (pods.kind === 'bare') c.spacedPodWord = separator;
  } else {
    pods = { kind: 'all', span: { start: namespace.span.end, end: namespace.span.end } };
  }
  return { type: 'endpoint', namespace, pods, span: c.spanFrom(first) };
}

/** `frontend nginx`: a pod part after a space, unless the next word ends the endpoint. */
function startsSpacedPods(token: Token): boolean {
  if (!token.spaceBefore) return false;
  if (token.kind === '*' || token.kind === '!') return true;
  return token.kind === 'word' && !STOP_WORDS.has(token.text.toLowerCase()) && !looksLikeAddress(token.text);
}

function readPods(c: Cursor): PodRef {
  const first = c.peek();
  if (first.kind === '*') {
    c.advance();
    return { kind: 'all', span: spanOf(first) };
  }
  const objectKind = first.kind === 'word' ? KINDS.get(first.text.toLowerCase()) : undefined;
  if (objectKind !== undefined && c.peek(1).kind === '/' && !c.peek(1).spaceBefore && !labelAt(c, 3)) {
    c.advance();
    c.advance();
    const name = c.peek();
    const example = `e.g. frontend/${first.text}/web`;
    if (name.kind !== 'word' || name.spaceBefore)
      c.expected(name, `a name after ${quote(`${first.text}/`)}`, example);
    c.advance();
    const problem = dns1123SubdomainProblem(name.text);
    if (problem !== undefined) c.invalid(name, `${objectKind} name ${quote(name.text)} ${problem}`, example);
    return { kind: 'named', objectKind, name: name.text, span: c.spanFrom(first) };
  }
  if (first.kind !== 'word' && first.kind !== '!') {
    c.expected(
      first,
      'pods after the namespace',
      'write *, labels (app=web,tier=api), a workload (deploy/web) or a name',
    );
  }
  const raw = readRequirements(c, 'pods');
  const only = raw[0] as RawRequirement;
  if (raw.length === 1 && only.bare && only.prefix === undefined) {
    const word = only.keyToken.text;
    if (
      word === '' ||
      (labelValueProblem(word) !== undefined && dns1123SubdomainProblem(word) !== undefined)
    ) {
      const problem = word === '' ? 'must not be empty' : 'must consist of letters, digits, "-", "_" and "."';
      c.invalid(only.keyToken, `pod name ${quote(word)} ${problem}`, ENDPOINT_EXAMPLE);
    }
    return { kind: 'bare', word, span: only.span };
  }
  if (raw.length === 1 && only.prefix !== undefined && only.bare) {
    // `frontend/deplyo/web`: a prefix without a dot is a misspelt kind, not a DNS prefix.
    if (!only.prefix.includes('.') || looksLikeAddress(only.prefix)) {
      const hint = didYouMean(
        only.prefix,
        KINDS.keys(),
        'kinds: deploy, sts, ds, rs, job, cronjob, svc, pod',
      );
      c.fail('E_SYNTAX', only.keyToken, `unknown object kind ${quote(only.prefix)}`, hint);
    }
  }
  checkKeys(c, raw);
  return { kind: 'selector', requirements: raw.map((r) => r.requirement), span: c.spanFrom(first) };
}
