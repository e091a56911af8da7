/**
 * The request language: a recursive-descent parser over the tokens of the normalised text, producing
 * the typed request of request.ts. Pure and total: it returns a Request or throws a NetpolError
 * (E_SYNTAX for the grammar, E_INVALID_VALUE for names, labels, ports and addresses Kubernetes would
 * refuse, E_UNSUPPORTED for what NetworkPolicy cannot express) with the 1-based column of the
 * offending word and a hint. No cluster knowledge: bare words stay bare for the resolver.
 *
 *   request  = allow | deny | isolate | can | who | what | help ;
 *   allow    = "allow" peers ("to" | "from") peers { ports | "both-sides" } ;
 *   deny     = "deny" dir ( "in" nsname | ("to" | "from" | "for") ( endpoint | "ns" nsname ) )
 *              [ "except" peer [ports] { ("|" | "or") peer [ports] } ] ;
 *   isolate  = "isolate" nsname ;
 *   can      = "can" (endpoint | cidr) "reach" (endpoint | cidr) [ports] ["?"] ;
 *   who      = "who" "can" "reach" endpoint [ports] ["?"] ;
 *   what     = "what" "can" endpoint "reach" [ports] ["?"] ;
 *   help     = "help" [topic] ;
 *   peers    = peer { ("|" | "or" | "and") peer } ;
 *   peer     = "all" | keyword | cidr | endpoint ;
 *   endpoint = ( nsname | "*" | "ns" "(" [reqs] ")" ) [ "/" pods | pods-after-a-space ] ;
 *   pods     = "*" | kind "/" name | reqs | word ;
 *   reqs     = req { "," req } ;
 *   req      = key ("=" | "==" | "!=") (value | "*") | key ("in" | "notin") "(" value {"," value} ")"
 *            | "!" key | key ;
 *   cidr     = address ["/" length] [ "except" address ["/" length] { "," address ["/" length] } ] ;
 *   ports    = ("on" ["port" | "ports"] | "port" | "ports") ( "any" | port { "," port } ) ;
 *   port     = "dns" | proto ["/" portval] | portval ["/" proto] ;
 *   portval  = number | number "-" number | name ;
 *
 * The ambiguity of the space form (`frontend nginx`) is settled by STOP_WORDS: a pod part written
 * after a space is any word but those. When a keyword then turns out to be missing, a pod word that is
 * a near miss of it (`allow frontend too backend`) is reported as the misspelt keyword.
 */
import { NetpolError, type ErrorCode } from '../errors';
import { cidrContainsCidrParsed, ipProblem, parseCidr } from '../k8s/cidr';
import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  labelKeyProblem,
  labelValueProblem,
  portNameProblem,
  portNumberProblem,
} from '../k8s/names';
import type { Protocol } from '../k8s/types';
import { formatEndpoint } from './format-request';
import { HELP_TOPICS, helpTopic } from './help';
import { normalizeInput } from './normalize-input';
import type {
  AllowRequest,
  DenyRequest,
  Direction,
  EndpointRef,
  ExceptItem,
  NamespaceRef,
  PeerRef,
  PodRef,
  PortRef,
  PortsRef,
  QueryEndpoint,
  Request,
  SelectorRequirement,
  Span,
} from './request';
import {
  closestWord,
  describe,
  didYouMean,
  DIRECTIONS,
  KEYWORDS,
  KINDS,
  looksLikeAddress,
  MAX_QUOTED,
  PROTOCOLS,
  quote,
  STOP_WORDS,
  tokenize,
  VERBS,
  type Token,
} from './tokenizer';

/** Longer than any real request; keeps the work per request bounded. */
export const MAX_REQUEST_LENGTH = 4000;

const ALLOW_EXAMPLE = 'e.g. allow frontend/app=nginx to backend/app=api on tcp/8080';
const DENY_EXAMPLE = 'e.g. deny ingress to backend/app=db except backend/app=api on tcp/5432';
const QUERY_EXAMPLE = 'e.g. can frontend/app=web reach backend/app=api on tcp/8080?';
const PORT_EXAMPLE = 'e.g. on tcp/8080, on 80,443, on udp/53, on 8000-8100, on http, on dns or on any';
const ENDPOINT_EXAMPLE = 'e.g. backend/*, frontend/app=nginx, frontend nginx, */app=web or ns(team=ops)/*';
const LABELS_EXAMPLE = 'e.g. app=web,tier=api';
const CIDR_EXAMPLE = 'e.g. 10.0.0.0/16, 10.1.2.3 or fd00::/8';
const COMMANDS_HINT = 'requests start with allow, deny, isolate, can, who, what or help';
const NO_PEER_DENY = 'NetworkPolicy cannot block one peer; isolate the pods instead, ' + DENY_EXAMPLE;
const ALLOW_FORM = 'write "allow SOURCE to DESTINATION", ' + ALLOW_EXAMPLE;

/** Verbs people reach for that the grammar spells differently. */
const VERB_SYNONYMS = new Map<string, string>([
  ['let', ALLOW_FORM],
  ['permit', ALLOW_FORM],
  ['open', ALLOW_FORM],
  ['grant', ALLOW_FORM],
  ['block', NO_PEER_DENY],
  ['drop', NO_PEER_DENY],
  ['show', 'to see who may reach pods, write "who can reach backend/app=api"'],
  ['check', `write a query, ${QUERY_EXAMPLE}`],
]);

/** Words that mean different things to different people (REFERENCE §2.7 items 7 and 8). */
const VAGUE_WORDS = new Set(['any', 'anything', 'anywhere', 'everything', 'everyone', 'internet', 'outside']);
const VAGUE_HINT =
  'write "all" for everything (outside the cluster too), "*/*" for every pod in every namespace, ' +
  'or "world" or "public" for outside the cluster';

/** `inner` lies strictly inside `outer`: what the API server requires of an ipBlock's except. */
function strictlyInside(inner: string, outer: string): boolean {
  const i = parseCidr(inner);
  const o = parseCidr(outer);
  return cidrContainsCidrParsed(o, i) && i.prefix > o.prefix;
}

/** `"a", "b" or "c"`. */
function listOf(items: string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function spanOf(token: Token): Span {
  return { start: token.start, end: token.end };
}

/** A label requirement as read, before the pod part decides whether a lone key is a name. */
interface RawRequirement {
  requirement: SelectorRequirement;
  /** A key alone, without an operator. */
  bare: boolean;
  keyToken: Token;
  prefix?: string;
  span: Span;
}

class Parser {
  private pos = 0;
  /** The pod part just read, if it was one bare word written after a space (see the header). */
  private spacedPodWord: Token | undefined;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  // ---- machinery ------------------------------------------------------------------------------

  private peek(ahead = 0): Token {
    return this.tokens[Math.max(0, Math.min(this.pos + ahead, this.tokens.length - 1))] as Token;
  }

  private advance(): Token {
    const token = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos += 1;
    return token;
  }

  private spanFrom(first: Token): Span {
    return { start: first.start, end: (this.tokens[this.pos - 1] as Token).end };
  }

  private isWord(token: Token, ...words: string[]): boolean {
    return token.kind === 'word' && words.includes(token.text.toLowerCase());
  }

  private isPortsIntro(token: Token): boolean {
    return this.isWord(token, 'on', 'port', 'ports');
  }

  /** A `/` glued to the tokens on both sides, as in `app.kubernetes.io/name` or `deploy/web`. */
  private tightSlashAt(ahead: number): boolean {
    const slash = this.peek(ahead);
    const after = this.peek(ahead + 1);
    return slash.kind === '/' && !slash.spaceBefore && after.kind === 'word' && !after.spaceBefore;
  }

  private fail(code: ErrorCode, at: Token | number, message: string, hint: string): never {
    const start = typeof at === 'number' ? at : at.start;
    throw new NetpolError(code, message, { column: start + 1, hint });
  }

  private expected(at: Token, what: string, hint: string): never {
    this.fail('E_SYNTAX', at, `expected ${what}, found ${describe(at)}`, hint);
  }

  private invalid(at: Token, message: string, hint: string): never {
    this.fail('E_INVALID_VALUE', at, message, hint);
  }

  /**
   * A keyword is missing. If the token before it was a pod name written after a space and a near miss
   * of an expected keyword (`allow frontend too backend`), that word is the real mistake. At the end of
   * the request only near misses of long keywords count (`allow a to b bothsides`): a short pod name
   * there is most likely meant.
   */
  private blameSpacedWord(expected: string, where: string, candidates: string[], atEnd: boolean): void {
    const previous = this.spacedPodWord;
    if (previous === undefined || this.tokens[this.pos - 1] !== previous) return;
    const guess = closestWord(previous.text, atEnd ? candidates.filter((w) => w.length >= 6) : candidates);
    if (guess === undefined) return;
    this.fail(
      'E_SYNTAX',
      previous,
      `expected ${expected} ${where}, found ${quote(previous.text)}`,
      `did you mean "${guess}"? For pods named ${quote(previous.text)}, write NAMESPACE/${previous.text}`,
    );
  }

  /** The next token should have been one of `words` (named in the message) or `more` (accepted too). */
  private missing(words: string[], where: string, hint: string, more: string[] = []): never {
    const token = this.peek();
    const candidates = [...words, ...more];
    const expected = listOf(words.map((w) => `"${w}"`));
    this.blameSpacedWord(expected, where, candidates, false);
    const guessHint = token.kind === 'word' ? didYouMean(token.text, candidates, hint) : hint;
    this.fail('E_SYNTAX', token, `expected ${expected} ${where}, found ${describe(token)}`, guessHint);
  }

  /** The request must end here; `words` could have come instead. */
  private end(where: string, words: string[], hint: string, more: string[] = []): void {
    const token = this.peek();
    const candidates = [...words, ...more];
    const expected = listOf([...words.map((w) => `"${w}"`), 'the end of the request']);
    this.blameSpacedWord(expected, where, candidates, token.kind === 'eof');
    if (token.kind === 'eof') return;
    const guessHint = token.kind === 'word' ? didYouMean(token.text, candidates, hint) : hint;
    this.fail('E_SYNTAX', token, `expected ${expected} ${where}, found ${describe(token)}`, guessHint);
  }

  /** Consumes the next token if it is `kind`. */
  private eat(kind: Token['kind']): boolean {
    if (this.peek().kind !== kind) return false;
    this.advance();
    return true;
  }

  private expectWord(word: string, where: string, hint: string): void {
    if (!this.isWord(this.peek(), word)) this.missing([word], where, hint);
    this.advance();
  }

  // ---- requests -------------------------------------------------------------------------------

  request(): Request {
    const first = this.peek();
    if (first.kind !== 'word') this.expected(first, 'a command', COMMANDS_HINT);
    switch (first.text.toLowerCase()) {
      case 'allow':
        return this.allow();
      case 'deny':
        return this.deny();
      case 'isolate':
        return this.isolate();
      case 'can':
        return this.can();
      case 'who':
        return this.who();
      case 'what':
        return this.what();
      case 'help':
        return this.help();
    }
    const hint = VERB_SYNONYMS.get(first.text.toLowerCase()) ?? didYouMean(first.text, VERBS, COMMANDS_HINT);
    this.fail('E_SYNTAX', first, `unknown command ${quote(first.text)}`, hint);
  }

  private allow(): AllowRequest {
    this.advance();
    const first = this.peers('a source after "allow"');
    const connector = this.peek();
    if (!this.isWord(connector, 'to', 'from')) {
      if (first.peers[0]?.type === 'all' && this.isWord(connector, 'namespaces', 'pods')) {
        this.expected(connector, '"to" after the source', VAGUE_HINT);
      }
      this.missing(['to'], 'after the source', ALLOW_EXAMPLE, ['from']);
    }
    this.advance();
    const reversed = connector.text.toLowerCase() === 'from';
    const second = this.peers(`a ${reversed ? 'source' : 'destination'} after ${quote(connector.text)}`);
    let ports: PortsRef | undefined;
    let bothSides = false;
    for (;;) {
      const token = this.peek();
      if (ports === undefined && this.isPortsIntro(token)) {
        ports = this.ports();
      } else if (!bothSides && this.isWord(token, 'both-sides')) {
        this.advance();
        bothSides = true;
      } else if (!bothSides && this.isWord(token, 'both') && this.isWord(this.peek(1), 'sides')) {
        this.advance();
        this.advance();
        bothSides = true;
      } else {
        break;
      }
    }
    const words = [...(ports === undefined ? ['on'] : []), ...(bothSides ? [] : ['both-sides'])];
    const more = ports === undefined ? ['port', 'ports'] : [];
    this.end(`after the ${reversed ? 'source' : 'destination'}`, words, ALLOW_EXAMPLE, more);
    return {
      verb: 'allow',
      from: reversed ? second.peers : first.peers,
      to: reversed ? first.peers : second.peers,
      ports: ports ?? 'any',
      bothSides,
      andAsOr: first.andAsOr || second.andAsOr,
    };
  }

  private deny(): DenyRequest {
    this.advance();
    const dirToken = this.peek();
    const direction = dirToken.kind === 'word' ? DIRECTIONS.get(dirToken.text.toLowerCase()) : undefined;
    if (direction === undefined) this.missing(['ingress', 'egress', 'all'], 'after "deny"', DENY_EXAMPLE);
    this.advance();
    const preposition = this.peek();
    const allowed = { ingress: ['to', 'for'], egress: ['from', 'for'], all: ['to', 'from', 'for'] }[
      direction
    ];
    let subject: DenyRequest['subject'];
    if (this.isWord(preposition, 'in')) {
      this.advance();
      subject = this.namespaceSubject('a namespace after "in"');
    } else if (this.isWord(preposition, ...allowed)) {
      this.advance();
      subject = this.namespaceAnnounced()
        ? this.namespaceSubject('a namespace')
        : {
            kind: 'endpoint',
            endpoint: this.endpoint(`the pods to isolate after ${quote(preposition.text)}`),
          };
    } else if (this.isWord(preposition, 'from', 'to')) {
      this.peerDeny(direction, preposition);
    } else {
      this.missing([...allowed, 'in'], `after ${quote(`deny ${dirToken.text}`)}`, DENY_EXAMPLE);
    }
    const except: ExceptItem[] = [];
    if (this.isWord(this.peek(), 'except')) {
      this.advance();
      except.push(...this.exceptItems());
    }
    this.end('after the pods to isolate', except.length === 0 ? ['except'] : [], DENY_EXAMPLE);
    return { verb: 'deny', direction, subject, except };
  }

  /** `deny ingress from X` / `deny egress to X`: a deny aimed at one peer, which NetworkPolicy cannot say. */
  private peerDeny(direction: Direction, preposition: Token): never {
    this.advance();
    const next = this.peek();
    const said = `"deny ${direction} ${preposition.text.toLowerCase()}"`;
    if (next.kind === 'word' && looksLikeAddress(next.text)) {
      const [verb, side] = direction === 'ingress' ? ['to', 'hear from'] : ['from', 'reach'];
      this.fail(
        'E_UNSUPPORTED',
        preposition,
        `${quote(`deny ${direction} ${preposition.text.toLowerCase()} ${next.text}`)} cannot be expressed: a NetworkPolicy cannot block one peer`,
        `isolate the pods and list what they may ${side} instead, e.g. deny ${direction} ${verb} default/app=web except ...`,
      );
    }
    let target = 'X';
    try {
      target = formatEndpoint(this.endpoint('pods'));
    } catch (error) {
      if (!(error instanceof NetpolError)) throw error;
    }
    if (direction === 'ingress') {
      this.fail(
        'E_UNSUPPORTED',
        preposition,
        `${said} cannot be expressed: a NetworkPolicy cannot block one source`,
        `to stop ${target} sending, write "deny egress from ${target}"; ` +
          'to let pods hear only chosen sources, write "deny ingress to PODS except SOURCES"',
      );
    }
    this.fail(
      'E_UNSUPPORTED',
      preposition,
      `${said} cannot be expressed: a NetworkPolicy cannot block one destination`,
      `to stop ${target} receiving, write "deny ingress to ${target}"; ` +
        'to let pods reach only chosen destinations, write "deny egress from PODS except DESTINATIONS"',
    );
  }

  private exceptItems(): ExceptItem[] {
    const items: ExceptItem[] = [];
    for (;;) {
      const peer = this.peer('an exception');
      items.push({ peer, ports: this.isPortsIntro(this.peek()) ? this.ports() : 'any' });
      const separator = this.peek();
      if (this.isWord(separator, 'and')) {
        this.expected(
          separator,
          '"|" or "or" between exceptions',
          'e.g. except dns | backend/app=db on tcp/5432',
        );
      }
      if (separator.kind !== '|' && !this.isWord(separator, 'or')) return items;
      this.advance();
    }
  }

  private namespaceSubject(what: string): DenyRequest['subject'] {
    const token = this.namespaceWord(what);
    return { kind: 'namespace', namespace: token.text, span: spanOf(token) };
  }

  private isolate(): Request {
    this.advance();
    const token = this.namespaceWord('a namespace after "isolate"');
    this.end('after the namespace', [], 'e.g. isolate backend');
    return { verb: 'isolate', namespace: token.text, span: spanOf(token) };
  }

  private can(): Request {
    this.advance();
    const from = this.queryEndpoint('a source after "can"');
    this.expectWord('reach', 'after the source', QUERY_EXAMPLE);
    const to = this.queryEndpoint('a destination after "reach"');
    return { verb: 'can', from, to, ports: this.queryTail() };
  }

  private who(): Request {
    this.advance();
    this.expectWord('can', 'after "who"', 'e.g. who can reach backend/app=db on tcp/5432');
    this.expectWord('reach', 'after "who can"', 'e.g. who can reach backend/app=db on tcp/5432');
    this.noAddress('"who can reach" answers for pods, not addresses', 'can PODS reach ADDRESS');
    const target = this.endpoint('pods after "reach"');
    return { verb: 'who-can-reach', target, ports: this.queryTail() };
  }

  private what(): Request {
    this.advance();
    this.expectWord('can', 'after "what"', 'e.g. what can frontend/app=web reach');
    this.noAddress('"what can ... reach" answers for pods, not addresses', 'can ADDRESS reach PODS');
    const source = this.endpoint('pods after "what can"');
    this.expectWord('reach', 'after the pods', 'e.g. what can frontend/app=web reach');
    return { verb: 'what-can-reach', source, ports: this.queryTail() };
  }

  private noAddress(message: string, instead: string): void {
    const token = this.peek();
    if (token.kind === 'word' && looksLikeAddress(token.text)) {
      this.fail('E_UNSUPPORTED', token, message, `ask about one connection instead: ${instead}`);
    }
  }

  private queryEndpoint(what: string): QueryEndpoint {
    const token = this.peek();
    if (token.kind === 'word' && looksLikeAddress(token.text)) return { type: 'cidr', ...this.cidr() };
    const lower = token.kind === 'word' ? token.text.toLowerCase() : '';
    if (this.peek(1).kind !== '/' && (lower === 'all' || KEYWORDS.has(lower))) {
      this.fail(
        'E_SYNTAX',
        token,
        `a query needs pods or an address, found the keyword ${quote(token.text)}`,
        'e.g. can frontend/app=web reach kube-system/k8s-app=kube-dns on udp/53',
      );
    }
    return this.endpoint(what);
  }

  private queryTail(): PortsRef {
    const ports = this.isPortsIntro(this.peek()) ? this.ports() : 'any';
    if (this.peek().kind === '?') this.advance();
    const more = ports === 'any' ? ['port', 'ports'] : [];
    this.end('after the query', ports === 'any' ? ['on'] : [], QUERY_EXAMPLE, more);
    return ports;
  }

  private help(): Request {
    this.advance();
    const token = this.peek();
    if (token.kind === 'eof') return { verb: 'help' };
    const topic = token.kind === 'word' ? helpTopic(token.text) : undefined;
    const topics = `topics: ${HELP_TOPICS.join(', ')}`;
    if (topic === undefined) {
      this.fail(
        'E_SYNTAX',
        token,
        `unknown help topic ${describe(token)}`,
        didYouMean(token.text, HELP_TOPICS, topics),
      );
    }
    this.advance();
    this.end('after the help topic', [], topics);
    return { verb: 'help', topic };
  }

  // ---- peers and endpoints --------------------------------------------------------------------

  private peers(what: string): { peers: PeerRef[]; andAsOr: boolean } {
    const peers = [this.peer(what)];
    let andAsOr = false;
    for (;;) {
      const separator = this.peek();
      if (this.isWord(separator, 'and')) andAsOr = true;
      else if (separator.kind !== '|' && !this.isWord(separator, 'or')) break;
      this.advance();
      peers.push(this.peer(`a peer after ${quote(separator.text)}`));
    }
    const all = peers.find((p) => p.type === 'all');
    if (all !== undefined && peers.length > 1) {
      this.fail(
        'E_SYNTAX',
        all.span.start,
        '"all" already means everything and cannot be combined with other peers',
        'write "all" alone, or "*/*" for every pod in every namespace',
      );
    }
    return { peers, andAsOr };
  }

  /** `all`, a keyword, an address or an endpoint. A keyword followed by `/` is a namespace (`dns/*`). */
  private peer(what: string): PeerRef {
    const token = this.peek();
    if (token.kind === 'word' && this.peek(1).kind !== '/') {
      const lower = token.text.toLowerCase();
      const keyword = KEYWORDS.get(lower);
      if (lower === 'all' || keyword !== undefined) {
        this.advance();
        return keyword === undefined
          ? { type: 'all', span: spanOf(token) }
          : { type: 'keyword', keyword, span: spanOf(token) };
      }
      if (VAGUE_WORDS.has(lower))
        this.fail('E_SYNTAX', token, `${quote(token.text)} is ambiguous here`, VAGUE_HINT);
    }
    if (token.kind === 'word' && looksLikeAddress(token.text)) return { type: 'cidr', ...this.cidr() };
    return this.endpoint(what);
  }

  private endpoint(what: string): EndpointRef {
    const first = this.peek();
    this.spacedPodWord = undefined;
    const namespace = this.namespaceRef(first, what);
    const separator = this.peek();
    let pods: PodRef;
    if (separator.kind === '/') {
      this.advance();
      const next = this.peek();
      if (next.spaceBefore && next.kind === 'word' && STOP_WORDS.has(next.text.toLowerCase())) {
        this.expected(
          next,
          `pods after ${quote(`${this.text.slice(first.start, separator.end)}`)}`,
          'e.g. backend/*',
        );
      }
      pods = this.podRef();
    } else if (this.startsSpacedPods(separator)) {
      pods = this.podRef();
      if (pods.kind === 'bare') this.spacedPodWord = separator;
    } else {
      pods = { kind: 'all', span: { start: namespace.span.end, end: namespace.span.end } };
    }
    return { type: 'endpoint', namespace, pods, span: this.spanFrom(first) };
  }

  /** `frontend nginx`: a pod part after a space, unless the next word ends the endpoint. */
  private startsSpacedPods(token: Token): boolean {
    if (!token.spaceBefore) return false;
    if (token.kind === '*' || token.kind === '!') return true;
    return (
      token.kind === 'word' && !STOP_WORDS.has(token.text.toLowerCase()) && !looksLikeAddress(token.text)
    );
  }

  private namespaceRef(first: Token, what: string): NamespaceRef {
    if (first.kind === '*') {
      this.advance();
      return { kind: 'all', span: spanOf(first) };
    }
    if (this.isWord(first, 'ns') && this.peek(1).kind === '(') {
      this.advance();
      this.advance();
      const requirements =
        this.peek().kind === ')' ? [] : this.requirements('namespace').map((r) => r.requirement);
      const close = this.peek();
      if (close.kind !== ')') {
        this.expected(
          close,
          '"," or ")" in the namespace selector',
          'e.g. ns(team=operations)/* or ns(env in (a,b))/*',
        );
      }
      this.advance();
      const span = this.spanFrom(first);
      return requirements.length === 0 ? { kind: 'all', span } : { kind: 'selector', requirements, span };
    }
    if (first.kind === 'word' && (this.peek(1).kind === '/' || !STOP_WORDS.has(first.text.toLowerCase()))) {
      if (this.labelAt(1) || (first.text.includes('.') && this.tightSlashAt(1))) this.noNamespace(first);
      this.advance();
      return { kind: 'name', name: this.namespaceName(first), span: spanOf(first) };
    }
    if (first.kind === '!') this.noNamespace(first);
    this.expected(first, what, ENDPOINT_EXAMPLE);
  }

  private noNamespace(first: Token): never {
    const rest = this.textFrom(first);
    const several = this.peek(1).kind === ',' ? '; to list several peers, separate them with "|"' : '';
    this.fail(
      'E_SYNTAX',
      first,
      `expected a namespace before ${quote(rest)}`,
      `write NAMESPACE/${rest}, e.g. default/${rest}, or */${rest} for every namespace${several}`,
    );
  }

  /** The characters from a token to the next space, for messages. */
  private textFrom(token: Token): string {
    let end = token.end;
    for (let i = this.tokens.indexOf(token) + 1; i < this.tokens.length; i += 1) {
      const t = this.tokens[i] as Token;
      if (t.spaceBefore || t.kind === 'eof') break;
      end = t.end;
    }
    return this.text.slice(token.start, Math.min(end, token.start + MAX_QUOTED));
  }

  /** A namespace name, with a specific message for the usual mistakes. */
  private namespaceName(token: Token): string {
    const name = token.text;
    const hostPort = /^([^:]+):([0-9]{1,5})$/.exec(name);
    if (hostPort !== null) {
      const hint = `write the port with "on": ${hostPort[1]} on tcp/${hostPort[2]}`;
      this.fail('E_SYNTAX', token, `${quote(name)} mixes an address and a port`, hint);
    }
    if (/^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z][a-z0-9-]*$/i.test(name)) {
      this.fail(
        'E_UNSUPPORTED',
        token,
        `${quote(name)} looks like a host name, and NetworkPolicy cannot match host names`,
        'use "public on tcp/443", the address range (CIDR), or a CNI-specific FQDN policy',
      );
    }
    if (name.includes('.'))
      this.invalid(token, `namespace ${quote(name)} must not contain "."`, ENDPOINT_EXAMPLE);
    const lower = name.toLowerCase();
    if (lower !== name && dns1123LabelProblem(lower) === undefined) {
      this.invalid(token, `namespace ${quote(name)} must be lower case`, `write "${lower}"`);
    }
    const problem = dns1123LabelProblem(name);
    if (problem !== undefined) this.invalid(token, `namespace ${quote(name)} ${problem}`, ENDPOINT_EXAMPLE);
    return name;
  }

  /** `ns foo` or `namespace foo`: the word announces the namespace name that follows. */
  private namespaceAnnounced(): boolean {
    const next = this.peek(1);
    const named = next.kind === 'word' && next.spaceBefore && !STOP_WORDS.has(next.text.toLowerCase());
    return this.isWord(this.peek(), 'ns', 'namespace') && named;
  }

  /** A namespace name alone, optionally announced by `ns` or `namespace` (`from ns foo`). */
  private namespaceWord(what: string): Token {
    if (this.namespaceAnnounced()) this.advance();
    const token = this.peek();
    if (token.kind !== 'word') this.expected(token, what, 'e.g. backend');
    this.advance();
    this.namespaceName(token);
    if (this.peek().kind === '/') {
      this.expected(
        this.peek(),
        'a namespace name alone',
        'for some pods of it, write e.g. deny ingress to backend/app=db',
      );
    }
    return token;
  }

  /** The token `ahead` continues a label requirement: `job/tier=web` is a key with a prefix, not a Job. */
  private labelAt(ahead: number): boolean {
    const token = this.peek(ahead);
    const opens = this.isWord(token, 'in', 'notin') && this.peek(ahead + 1).kind === '(';
    return token.kind === '=' || token.kind === '==' || token.kind === '!=' || token.kind === ',' || opens;
  }

  private podRef(): PodRef {
    const first = this.peek();
    if (first.kind === '*') {
      this.advance();
      return { kind: 'all', span: spanOf(first) };
    }
    const objectKind = first.kind === 'word' ? KINDS.get(first.text.toLowerCase()) : undefined;
    if (
      objectKind !== undefined &&
      this.peek(1).kind === '/' &&
      !this.peek(1).spaceBefore &&
      !this.labelAt(3)
    ) {
      this.advance();
      this.advance();
      const name = this.peek();
      const example = `e.g. frontend/${first.text}/web`;
      if (name.kind !== 'word' || name.spaceBefore)
        this.expected(name, `a name after ${quote(`${first.text}/`)}`, example);
      this.advance();
      const problem = dns1123SubdomainProblem(name.text);
      if (problem !== undefined)
        this.invalid(name, `${objectKind} name ${quote(name.text)} ${problem}`, example);
      return { kind: 'named', objectKind, name: name.text, span: this.spanFrom(first) };
    }
    if (first.kind !== 'word' && first.kind !== '!') {
      this.expected(
        first,
        'pods after the namespace',
        'write *, labels (app=web,tier=api), a workload (deploy/web) or a name',
      );
    }
    const raw = this.requirements('pods');
    const only = raw[0] as RawRequirement;
    if (raw.length === 1 && only.bare && only.prefix === undefined) {
      const word = only.keyToken.text;
      if (
        word === '' ||
        (labelValueProblem(word) !== undefined && dns1123SubdomainProblem(word) !== undefined)
      ) {
        const problem =
          word === '' ? 'must not be empty' : 'must consist of letters, digits, "-", "_" and "."';
        this.invalid(only.keyToken, `pod name ${quote(word)} ${problem}`, ENDPOINT_EXAMPLE);
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
        this.fail('E_SYNTAX', only.keyToken, `unknown object kind ${quote(only.prefix)}`, hint);
      }
    }
    this.checkKeys(raw);
    return { kind: 'selector', requirements: raw.map((r) => r.requirement), span: this.spanFrom(first) };
  }

  // ---- label selectors ------------------------------------------------------------------------

  /** `req {"," req}`; inside `ns(...)` a lone key is a selector too, so keys are checked at once. */
  private requirements(context: 'pods' | 'namespace'): RawRequirement[] {
    const raw = [this.requirement()];
    while (this.peek().kind === ',') {
      const comma = this.advance();
      const next = this.peek();
      const stop = next.spaceBefore && next.kind === 'word' && STOP_WORDS.has(next.text.toLowerCase());
      if (stop || (next.kind !== 'word' && next.kind !== '!')) {
        this.fail(
          'E_SYNTAX',
          next.kind === 'eof' ? comma : next,
          `expected a label after ",", found ${describe(next)}`,
          LABELS_EXAMPLE,
        );
      }
      raw.push(this.requirement());
    }
    if (context === 'namespace') this.checkKeys(raw);
    return raw;
  }

  private checkKeys(raw: RawRequirement[]): void {
    for (const r of raw) {
      const problem = labelKeyProblem(r.requirement.key);
      if (problem !== undefined) {
        this.invalid(
          r.keyToken,
          `label key ${quote(r.requirement.key)}: ${problem}`,
          'e.g. app=web or app.kubernetes.io/name=web',
        );
      }
    }
  }

  private requirement(): RawRequirement {
    const first = this.peek();
    if (first.kind === '!') {
      this.advance();
      const keyToken = this.peek();
      if (keyToken.kind !== 'word' || keyToken.spaceBefore)
        this.expected(keyToken, 'a label key after "!"', 'e.g. !canary');
      const { key, prefix } = this.key();
      return {
        requirement: { key, op: '!exists' },
        bare: false,
        keyToken,
        prefix,
        span: this.spanFrom(first),
      };
    }
    if (first.kind !== 'word') this.expected(first, 'a label', LABELS_EXAMPLE);
    const { key, prefix } = this.key();
    const made = (requirement: SelectorRequirement, bare = false): RawRequirement => ({
      requirement,
      bare,
      keyToken: first,
      prefix,
      span: this.spanFrom(first),
    });
    const op = this.peek();
    if (op.kind === '=' || op.kind === '==' || op.kind === '!=') {
      this.advance();
      const value = this.peek();
      const negated = op.kind === '!=';
      if (value.kind === '*') {
        this.advance();
        return made({ key, op: negated ? '!exists' : 'exists' });
      }
      if (value.kind === 'word' && !(value.spaceBefore && STOP_WORDS.has(value.text.toLowerCase()))) {
        this.advance();
        this.checkValue(value);
        return made({ key, op: negated ? '!=' : '=', value: value.text });
      }
      const hint = `write ${key}${op.text}VALUE, ${key}="" for an empty value, or ${key}=* for any value`;
      this.expected(value, `a value after ${quote(`${key}${op.text}`)}`, hint);
    }
    if (this.isWord(op, 'in', 'notin') && this.peek(1).kind === '(') {
      this.advance();
      this.advance();
      const values: string[] = [];
      const example = `e.g. ${key} ${op.text} (a,b)`;
      for (;;) {
        const value = this.peek();
        if (value.kind !== 'word')
          this.expected(value, `a value in ${quote(`${key} ${op.text} (...)`)}`, example);
        this.advance();
        this.checkValue(value);
        values.push(value.text);
        const after = this.advance();
        if (after.kind === ')') break;
        if (after.kind !== ',') this.expected(after, `"," or ")" after ${quote(value.text)}`, example);
      }
      return made({ key, op: op.text.toLowerCase() === 'in' ? 'in' : 'notin', values });
    }
    return made({ key, op: 'exists' }, true);
  }

  /** A label key, with its DNS prefix if written (`app.kubernetes.io/name`). */
  private key(): { key: string; prefix?: string } {
    const first = this.advance();
    if (!this.tightSlashAt(0)) return { key: first.text };
    this.advance();
    return { key: `${first.text}/${this.advance().text}`, prefix: first.text };
  }

  private checkValue(token: Token): void {
    const problem = labelValueProblem(token.text);
    if (problem !== undefined)
      this.invalid(token, `label value ${quote(token.text)} ${problem}`, 'e.g. app=web');
  }

  // ---- addresses ------------------------------------------------------------------------------

  private cidr(): { cidr: string; except: string[]; span: Span } {
    const first = this.peek();
    const outer = this.cidrBlock();
    const except: string[] = [];
    if (this.isWord(this.peek(), 'except')) {
      this.advance();
      do {
        const token = this.peek();
        if (token.kind !== 'word' || !looksLikeAddress(token.text)) {
          this.expected(
            token,
            'an address range after "except"',
            'e.g. 0.0.0.0/0 except 10.0.0.0/8,192.168.0.0/16',
          );
        }
        const inner = this.cidrBlock();
        if (!strictlyInside(inner, outer)) {
          const hint = 'every except range must be a narrower part of the range before "except"';
          this.invalid(token, `${quote(inner)} is not strictly inside ${quote(outer)}`, hint);
        }
        except.push(inner);
      } while (this.eat(','));
    }
    return { cidr: outer, except, span: this.spanFrom(first) };
  }

  /** An address with an optional prefix length; a bare address gets its full length (/32, /128). */
  private cidrBlock(): string {
    const token = this.advance();
    const problem = ipProblem(token.text);
    if (problem !== undefined) {
      const hostPort = /^([0-9.]+):([0-9]{1,5})$/.exec(token.text);
      if (hostPort !== null) {
        const hint = `write the port with "on": ${hostPort[1]} on tcp/${hostPort[2]}`;
        this.fail('E_SYNTAX', token, `${quote(token.text)} mixes an address and a port`, hint);
      }
      this.invalid(token, `${quote(token.text)} is not a valid IP address: ${problem}`, CIDR_EXAMPLE);
    }
    const v6 = token.text.includes(':');
    const max = v6 ? 128 : 32;
    let length = max;
    if (this.peek().kind === '/' && !this.peek().spaceBefore) {
      this.advance();
      const lengthToken = this.peek();
      const tight = lengthToken.kind === 'word' && !lengthToken.spaceBefore;
      if (!tight || !/^[0-9]{1,4}$/.test(lengthToken.text) || Number(lengthToken.text) > max) {
        const what = `a prefix length from 0 to ${max} after ${quote(`${token.text}/`)}`;
        this.fail(
          tight ? 'E_INVALID_VALUE' : 'E_SYNTAX',
          lengthToken,
          `expected ${what}, found ${describe(lengthToken)}`,
          CIDR_EXAMPLE,
        );
      }
      this.advance();
      length = Number(lengthToken.text);
    }
    return `${v6 ? token.text.toLowerCase() : token.text}/${length}`;
  }

  // ---- ports ----------------------------------------------------------------------------------

  private ports(): PortsRef {
    let intro = this.advance();
    if (this.isWord(intro, 'on') && this.isWord(this.peek(), 'port', 'ports')) intro = this.advance();
    if (this.isWord(this.peek(), 'any', 'all')) {
      this.advance();
      return 'any';
    }
    const ports: PortRef[] = [];
    do ports.push(...this.port(intro));
    while (this.eat(','));
    return ports;
  }

  private port(intro: Token): PortRef[] {
    const first = this.peek();
    if (first.kind !== 'word') this.expected(first, `a port after ${quote(intro.text)}`, PORT_EXAMPLE);
    const lower = first.text.toLowerCase();
    const slashNext = this.peek(1).kind === '/' && !this.peek(1).spaceBefore;
    if (lower === 'dns' && !slashNext) {
      this.advance();
      return [
        { protocol: 'UDP', port: 53, span: spanOf(first) },
        { protocol: 'TCP', port: 53, span: spanOf(first) },
      ];
    }
    const protocol = PROTOCOLS.get(lower);
    if (protocol !== undefined) {
      this.advance();
      const next = this.peek();
      // `tcp 80`: a number after a protocol can only be its port.
      const spacedNumber = next.kind === 'word' && next.spaceBefore && /^[0-9]+(-[0-9]+)?$/.test(next.text);
      if (!slashNext && !spacedNumber) return [{ protocol, span: spanOf(first) }];
      if (slashNext) this.advance();
      return [this.portValue(protocol, first)];
    }
    const port = this.portValue('TCP', first);
    if (port.name !== undefined || !this.tightSlashAt(0)) return [port];
    // `80/tcp`, as Docker and Services write it.
    const suffix = this.peek(1);
    const suffixProtocol = PROTOCOLS.get(suffix.text.toLowerCase());
    if (suffixProtocol === undefined) {
      const hint = didYouMean(suffix.text, PROTOCOLS.keys(), 'protocols: tcp, udp, sctp');
      this.fail('E_SYNTAX', suffix, `unknown protocol ${quote(suffix.text)}`, hint);
    }
    this.advance();
    this.advance();
    return [{ ...port, protocol: suffixProtocol, span: this.spanFrom(first) }];
  }

  /** A number, a range or a port name, for a protocol already read (`first` starts the port's span). */
  private portValue(protocol: Protocol, first: Token): PortRef {
    const token = this.peek();
    if (token.kind !== 'word' || (token !== first && token.spaceBefore && this.peek(-1).kind === '/')) {
      this.expected(token, `a port number or name after ${quote(`${first.text}/`)}`, PORT_EXAMPLE);
    }
    this.advance();
    const range = /^([0-9]+)-([0-9]+)$/.exec(token.text);
    if (range === null && !/^[0-9]+$/.test(token.text)) {
      const problem = portNameProblem(token.text);
      if (problem !== undefined) {
        const lower = token.text.toLowerCase();
        const lowerOk = lower !== token.text && portNameProblem(lower) === undefined;
        const hint = lowerOk ? `port names are lower case: write "${lower}"` : PORT_EXAMPLE;
        this.invalid(
          token,
          `${quote(token.text)} is neither a port number nor a port name: ${problem}`,
          hint,
        );
      }
      return { protocol, name: token.text, span: this.spanFrom(first) };
    }
    const port = this.portNumber(token, range?.[1] ?? token.text);
    let endToken = token;
    let endText = range?.[2];
    if (range === null && this.peek().kind === '-') {
      this.advance();
      endToken = this.peek();
      if (endToken.kind !== 'word' || !/^[0-9]+$/.test(endToken.text)) {
        this.expected(endToken, 'the last port of the range after "-"', 'e.g. on tcp/8000-8100');
      }
      this.advance();
      endText = endToken.text;
    }
    if (endText === undefined) return { protocol, port, span: this.spanFrom(first) };
    const endPort = this.portNumber(endToken, endText);
    if (endPort < port) {
      this.invalid(
        endToken,
        `port range ${quote(`${port}-${endPort}`)} ends before it starts`,
        `write ${endPort}-${port}`,
      );
    }
    return { protocol, port, endPort, span: this.spanFrom(first) };
  }

  private portNumber(token: Token, digits: string): number {
    const port = Number(digits);
    if (portNumberProblem(port) !== undefined) {
      const which =
        digits === token.text ? quote(digits) : `${digits.slice(0, MAX_QUOTED)} in ${quote(token.text)}`;
      this.invalid(token, `port ${which} is out of range: ports go from 1 to 65535`, PORT_EXAMPLE);
    }
    return port;
  }
}

/**
 * Parses one chat request, raw as Slack delivers it. Returns the typed request or throws a NetpolError
 * whose column is 1-based in normalizeInput(text). An empty request asks for help.
 */
export function parseRequest(text: string): Request {
  // Markup and entities shrink when normalised, but never tenfold: skip the work for a flood.
  const normalized = text.length > 10 * MAX_REQUEST_LENGTH ? text : normalizeInput(text);
  if (normalized.length > MAX_REQUEST_LENGTH) {
    const message = `the request is ${normalized.length} characters long, more than ${MAX_REQUEST_LENGTH}`;
    throw new NetpolError('E_SYNTAX', message, {
      column: MAX_REQUEST_LENGTH + 1,
      hint: 'split it into several requests',
    });
  }
  if (normalized === '') return { verb: 'help' };
  return new Parser(normalized, tokenize(normalized)).request();
}
