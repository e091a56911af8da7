/**
 * The ports clause of the request language, read through a Cursor:
 *
 *   ports   = ("on" ["port" | "ports"] | "port" | "ports") ( "any" | port { "," port } ) ;
 *   port    = "dns" | proto ["/" portval] | portval ["/" proto] ;
 *   portval = number | number "-" number | name ;
 *
 * Numbers, ranges and names are checked against Kubernetes' rules here (E_INVALID_VALUE), so the
 * column points at the port as written.
 */
import { portNameProblem, portNumberProblem } from '../k8s/names';
import type { Protocol } from '../k8s/types';
import { atAudit } from './parse-audit';
import { spanOf, type Cursor } from './parse-cursor';
import type { PortRef, PortsRef } from './request';
import { didYouMean, MAX_QUOTED, PROTOCOLS, quote, type Token } from './tokenizer';

const PORT_EXAMPLE = 'e.g. on tcp/8080, on 80,443, on udp/53, on 8000-8100, on http, on dns or on any';

/** The next token opens a ports clause. */
export function atPorts(c: Cursor): boolean {
  return c.isWord(c.peek(), 'on', 'port', 'ports');
}

/** A ports clause; the cursor is on its intro word (see atPorts). */
export function readPorts(c: Cursor): PortsRef {
  let intro = c.advance();
  if (c.isWord(intro, 'on') && c.isWord(c.peek(), 'port', 'ports')) intro = c.advance();
  if (c.isWord(c.peek(), 'any', 'all')) {
    c.advance();
    return 'any';
  }
  const ports: PortRef[] = [];
  do ports.push(...readPort(c, intro));
  while (c.eat(','));
  return ports;
}

function readPort(c: Cursor, intro: Token): PortRef[] {
  const first = c.peek();
  if (first.kind !== 'word') c.expected(first, `a port after ${quote(intro.text)}`, PORT_EXAMPLE);
  const lower = first.text.toLowerCase();
  const slashNext = c.peek(1).kind === '/' && !c.peek(1).spaceBefore;
  if (lower === 'dns' && !slashNext) {
    c.advance();
    return [
      { protocol: 'UDP', port: 53, span: spanOf(first) },
      { protocol: 'TCP', port: 53, span: spanOf(first) },
    ];
  }
  const protocol = PROTOCOLS.get(lower);
  if (protocol !== undefined) {
    c.advance();
    const next = c.peek();
    // `tcp 80`: a number after a protocol can only be its port.
    const spacedNumber = next.kind === 'word' && next.spaceBefore && /^[0-9]+(-[0-9]+)?$/.test(next.text);
    if (!slashNext && !spacedNumber) return [{ protocol, span: spanOf(first) }];
    if (slashNext) c.advance();
    return [readPortValue(c, protocol, first)];
  }
  const port = readPortValue(c, 'TCP', first);
  if (port.name !== undefined || !c.tightSlashAt(0)) return [port];
  // `80/tcp`, as Docker and Services write it.
  const suffix = c.peek(1);
  const suffixProtocol = PROTOCOLS.get(suffix.text.toLowerCase());
  if (suffixProtocol === undefined) {
    const hint = didYouMean(suffix.text, PROTOCOLS.keys(), 'protocols: tcp, udp, sctp');
    c.fail('E_SYNTAX', suffix, `unknown protocol ${quote(suffix.text)}`, hint);
  }
  c.advance();
  c.advance();
  return [{ ...port, protocol: suffixProtocol, span: c.spanFrom(first) }];
}

/** A number, a range or a port name, for a protocol already read (`first` starts the port's span). */
function readPortValue(c: Cursor, protocol: Protocol, first: Token): PortRef {
  const token = c.peek();
  if (token.kind !== 'word' || (token !== first && token.spaceBefore && c.peek(-1).kind === '/')) {
    c.expected(token, `a port number or name after ${quote(`${first.text}/`)}`, PORT_EXAMPLE);
  }
  c.advance();
  const range = /^([0-9]+)-([0-9]+)$/.exec(token.text);
  if (range === null && !/^[0-9]+$/.test(token.text)) {
    const problem = portNameProblem(token.text);
    if (problem !== undefined) {
      const lower = token.text.toLowerCase();
      const lowerOk = lower !== token.text && portNameProblem(lower) === undefined;
      const hint = lowerOk ? `port names are lower case: write "${lower}"` : PORT_EXAMPLE;
      c.invalid(token, `${quote(token.text)} is neither a port number nor a port name: ${problem}`, hint);
    }
    return { protocol, name: token.text, span: c.spanFrom(first) };
  }
  const port = portNumber(c, token, range?.[1] ?? token.text);
  let endToken = token;
  let endText = range?.[2];
  // `on 80 --audit 1h`: the dash starts the audit flag, not a range.
  if (range === null && c.peek().kind === '-' && !atAudit(c)) {
    c.advance();
    endToken = c.peek();
    if (endToken.kind !== 'word' || !/^[0-9]+$/.test(endToken.text)) {
      c.expected(endToken, 'the last port of the range after "-"', 'e.g. on tcp/8000-8100');
    }
    c.advance();
    endText = endToken.text;
  }
  if (endText === undefined) return { protocol, port, span: c.spanFrom(first) };
  const endPort = portNumber(c, endToken, endText);
  if (endPort < port) {
    c.invalid(
      endToken,
      `port range ${quote(`${port}-${endPort}`)} ends before it starts`,
      `write ${endPort}-${port}`,
    );
  }
  return { protocol, port, endPort, span: c.spanFrom(first) };
}

function portNumber(c: Cursor, token: Token, digits: string): number {
  const port = Number(digits);
  if (portNumberProblem(port) !== undefined) {
    const which =
      digits === token.text ? quote(digits) : `${digits.slice(0, MAX_QUOTED)} in ${quote(token.text)}`;
    c.invalid(token, `port ${which} is out of range: ports go from 1 to 65535`, PORT_EXAMPLE);
  }
  return port;
}
