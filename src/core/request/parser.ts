/**
 * The request language: a recursive-descent parser over the tokens of the normalised text, producing
 * the typed request of request.ts. Pure and total: it returns a Request or throws a NetpolError
 * (E_SYNTAX for the grammar, E_INVALID_VALUE for names, labels, ports and addresses Kubernetes would
 * refuse, E_UNSUPPORTED for what NetworkPolicy cannot express) with the 1-based column of the
 * offending word and a hint. No cluster knowledge: bare words stay bare for the resolver.
 *
 *   request  = allow | deny | isolate | can | who | what | help ;
 *   allow    = "allow" peers ("to" | "from") peers { ports | "both-sides" } [audit] ;
 *   deny     = "deny" dir ( "in" nsname | ("to" | "from" | "for") ( endpoint | "ns" nsname ) )
 *              [ "except" peer [ports] { ("|" | "or") peer [ports] } ] [audit] ;
 *   isolate  = "isolate" nsname [audit] ;
 *   audit    = "--audit" window ;   (parse-audit.ts: 10s to 30d, e.g. 1h)
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
 *
 * This module owns the entry point and the commands but deny (parse-deny.ts); the parts the commands
 * share are read by parse-endpoints.ts (peers, endpoints, pods), parse-namespaces.ts,
 * parse-selectors.ts (reqs), parse-cidr.ts and parse-ports.ts, all through the token cursor of
 * parse-cursor.ts, which also raises the errors.
 */
import { NetpolError } from '../errors';
import { HELP_TOPICS, helpTopic } from './help';
import { normalizeInput } from './normalize-input';
import { readAuditTail, refuseAudit } from './parse-audit';
import { readCidr } from './parse-cidr';
import { Cursor, spanOf } from './parse-cursor';
import { DENY_EXAMPLE, readDeny } from './parse-deny';
import { readEndpoint, readPeers, VAGUE_HINT } from './parse-endpoints';
import { readNamespaceWord } from './parse-namespaces';
import { atPorts, readPorts } from './parse-ports';
import type { AllowRequest, PortsRef, QueryEndpoint, Request } from './request';
import { describe, didYouMean, KEYWORDS, looksLikeAddress, quote, tokenize, VERBS } from './tokenizer';

/** Longer than any real request; keeps the work per request bounded. */
export const MAX_REQUEST_LENGTH = 4000;

const ALLOW_EXAMPLE = 'e.g. allow frontend/app=nginx to backend/app=api on tcp/8080';
const QUERY_EXAMPLE = 'e.g. can frontend/app=web reach backend/app=api on tcp/8080?';
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

function request(c: Cursor): Request {
  const first = c.peek();
  if (first.kind !== 'word') c.expected(first, 'a command', COMMANDS_HINT);
  switch (first.text.toLowerCase()) {
    case 'allow':
      return allow(c);
    case 'deny':
      return readDeny(c);
    case 'isolate':
      return isolate(c);
    case 'can':
      return can(c);
    case 'who':
      return who(c);
    case 'what':
      return what(c);
    case 'help':
      return help(c);
  }
  const hint = VERB_SYNONYMS.get(first.text.toLowerCase()) ?? didYouMean(first.text, VERBS, COMMANDS_HINT);
  c.fail('E_SYNTAX', first, `unknown command ${quote(first.text)}`, hint);
}

function allow(c: Cursor): AllowRequest {
  c.advance();
  const first = readPeers(c, 'a source after "allow"');
  const connector = c.peek();
  if (!c.isWord(connector, 'to', 'from')) {
    if (first.peers[0]?.type === 'all' && c.isWord(connector, 'namespaces', 'pods')) {
      c.expected(connector, '"to" after the source', VAGUE_HINT);
    }
    c.missing(['to'], 'after the source', ALLOW_EXAMPLE, ['from']);
  }
  c.advance();
  const reversed = connector.text.toLowerCase() === 'from';
  const second = readPeers(c, `a ${reversed ? 'source' : 'destination'} after ${quote(connector.text)}`);
  let ports: PortsRef | undefined;
  let bothSides = false;
  for (;;) {
    const token = c.peek();
    if (ports === undefined && atPorts(c)) {
      ports = readPorts(c);
    } else if (!bothSides && c.isWord(token, 'both-sides')) {
      c.advance();
      bothSides = true;
    } else if (!bothSides && c.isWord(token, 'both') && c.isWord(c.peek(1), 'sides')) {
      c.advance();
      c.advance();
      bothSides = true;
    } else {
      break;
    }
  }
  const audit = readAuditTail(c, `${ALLOW_EXAMPLE} --audit 1h`);
  const words = [...(ports === undefined ? ['on'] : []), ...(bothSides ? [] : ['both-sides'])];
  const more = ports === undefined ? ['port', 'ports'] : [];
  c.end(`after the ${reversed ? 'source' : 'destination'}`, words, ALLOW_EXAMPLE, more);
  return {
    verb: 'allow',
    from: reversed ? second.peers : first.peers,
    to: reversed ? first.peers : second.peers,
    ports: ports ?? 'any',
    bothSides,
    andAsOr: first.andAsOr || second.andAsOr,
    ...(audit === undefined ? {} : { audit }),
  };
}

function isolate(c: Cursor): Request {
  c.advance();
  const token = readNamespaceWord(c, 'a namespace after "isolate"');
  const audit = readAuditTail(c, 'e.g. isolate backend --audit 1h');
  c.end('after the namespace', [], 'e.g. isolate backend');
  return {
    verb: 'isolate',
    namespace: token.text,
    span: spanOf(token),
    ...(audit === undefined ? {} : { audit }),
  };
}

function can(c: Cursor): Request {
  c.advance();
  const from = queryEndpoint(c, 'a source after "can"');
  c.expectWord('reach', 'after the source', QUERY_EXAMPLE);
  const to = queryEndpoint(c, 'a destination after "reach"');
  return { verb: 'can', from, to, ports: queryTail(c) };
}

function who(c: Cursor): Request {
  c.advance();
  c.expectWord('can', 'after "who"', 'e.g. who can reach backend/app=db on tcp/5432');
  c.expectWord('reach', 'after "who can"', 'e.g. who can reach backend/app=db on tcp/5432');
  noAddress(c, '"who can reach" answers for pods, not addresses', 'can PODS reach ADDRESS');
  const target = readEndpoint(c, 'pods after "reach"');
  return { verb: 'who-can-reach', target, ports: queryTail(c) };
}

function what(c: Cursor): Request {
  c.advance();
  c.expectWord('can', 'after "what"', 'e.g. what can frontend/app=web reach');
  noAddress(c, '"what can ... reach" answers for pods, not addresses', 'can ADDRESS reach PODS');
  const source = readEndpoint(c, 'pods after "what can"');
  c.expectWord('reach', 'after the pods', 'e.g. what can frontend/app=web reach');
  return { verb: 'what-can-reach', source, ports: queryTail(c) };
}

function noAddress(c: Cursor, message: string, instead: string): void {
  const token = c.peek();
  if (token.kind === 'word' && looksLikeAddress(token.text)) {
    c.fail('E_UNSUPPORTED', token, message, `ask about one connection instead: ${instead}`);
  }
}

function queryEndpoint(c: Cursor, what: string): QueryEndpoint {
  const token = c.peek();
  if (token.kind === 'word' && looksLikeAddress(token.text)) return { type: 'cidr', ...readCidr(c) };
  const lower = token.kind === 'word' ? token.text.toLowerCase() : '';
  if (c.peek(1).kind !== '/' && (lower === 'all' || KEYWORDS.has(lower))) {
    c.fail(
      'E_SYNTAX',
      token,
      `a query needs pods or an address, found the keyword ${quote(token.text)}`,
      'e.g. can frontend/app=web reach kube-system/k8s-app=kube-dns on udp/53',
    );
  }
  return readEndpoint(c, what);
}

function queryTail(c: Cursor): PortsRef {
  const ports = atPorts(c) ? readPorts(c) : 'any';
  if (c.peek().kind === '?') c.advance();
  refuseAudit(c, 'a question');
  const more = ports === 'any' ? ['port', 'ports'] : [];
  c.end('after the query', ports === 'any' ? ['on'] : [], QUERY_EXAMPLE, more);
  return ports;
}

function help(c: Cursor): Request {
  c.advance();
  refuseAudit(c, 'help');
  const token = c.peek();
  if (token.kind === 'eof') return { verb: 'help' };
  const topic = token.kind === 'word' ? helpTopic(token.text) : undefined;
  const topics = `topics: ${HELP_TOPICS.join(', ')}`;
  if (topic === undefined) {
    c.fail(
      'E_SYNTAX',
      token,
      `unknown help topic ${describe(token)}`,
      didYouMean(token.text, HELP_TOPICS, topics),
    );
  }
  c.advance();
  refuseAudit(c, 'help');
  c.end('after the help topic', [], topics);
  return { verb: 'help', topic };
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
  return request(new Cursor(normalized, tokenize(normalized)));
}
