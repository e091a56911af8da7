/**
 * NetworkPolicyPort lists compiled into matchers, and the test of one connection's port against
 * them. networking.k8s.io/v1 NetworkPolicyPort: protocol defaults to TCP; an absent port matches
 * every port of that protocol; a numeric port with endPort is the inclusive range port..endPort;
 * a string port names a container port, resolved on the destination pod (the selected pod for an
 * ingress rule, the peer pod for an egress rule) and matching only when that pod has a port of
 * that name and protocol whose number is the traffic's port. An absent or empty list matches all.
 */
import type { NetworkPolicyPort, Protocol } from '../k8s/types';

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

export type PortMatcher =
  | { kind: 'range'; protocol: Protocol; from: number; to: number }
  | { kind: 'named'; protocol: Protocol; name: string };

/** Named container ports of one pod, keyed by namedPortKey(protocol, name). */
export type NamedPorts = ReadonlyMap<string, readonly number[]>;

export function namedPortKey(protocol: Protocol, name: string): string {
  return `${protocol}/${name}`;
}

export function compilePorts(ports: NetworkPolicyPort[] | undefined): 'any' | PortMatcher[] {
  if (ports === undefined || ports.length === 0) return 'any';
  return ports.map((p): PortMatcher => {
    const protocol = p.protocol ?? 'TCP';
    if (p.port === undefined) return { kind: 'range', protocol, from: MIN_PORT, to: MAX_PORT };
    if (typeof p.port === 'string') return { kind: 'named', protocol, name: p.port };
    // endPort is only valid with a numeric port; endPort < port is refused by the API server, and
    // here simply matches nothing.
    return { kind: 'range', protocol, from: p.port, to: p.endPort ?? p.port };
  });
}

/**
 * `target` holds the named ports of the destination pod, or is undefined when the destination is
 * not a pod a name can resolve on (an address outside the cluster, a hostNetwork pod).
 */
export function portMatches(
  matcher: PortMatcher,
  port: number,
  protocol: Protocol,
  target: NamedPorts | undefined,
): boolean {
  if (matcher.protocol !== protocol) return false;
  if (matcher.kind === 'range') return matcher.from <= port && port <= matcher.to;
  const numbers = target?.get(namedPortKey(protocol, matcher.name));
  return numbers !== undefined && numbers.includes(port);
}

export function portsMatch(
  ports: 'any' | readonly PortMatcher[],
  port: number,
  protocol: Protocol,
  target: NamedPorts | undefined,
): boolean {
  return ports === 'any' || ports.some((m) => portMatches(m, port, protocol, target));
}

export function formatPort(protocol: Protocol, port: number): string {
  return `${protocol}/${port}`;
}
