/**
 * `/netpol suggest <namespace>` (issue 10): observed flows in, the least-privilege change that
 * allows exactly them out, written in the request language so the ordinary planner
 * (core/use-cases/plan-request.ts) builds the policies, their names and their warnings.
 *
 * The change is: for each workload of NS that was seen, `deny ingress to NS/<its selector> except
 * <each source> on <ports>` and `deny egress from NS/<its selector> except <each destination> on
 * <ports>`, then `deny all in NS` (every pod of the namespace isolated both ways). Exceptions are
 * written on the namespace's own side only: an `allow` would also put an ingress policy on a
 * destination in another namespace, isolating it. DNS to the configured resolver is the `dns`
 * keyword; addresses outside the cluster are grouped into CIDRs (one /24 or /64 at most).
 *
 * A flow is one checkbox: every allowed flow starts ticked, every blocked one unticked (the
 * suggestion keeps blocking it unless ticked). A flow the language cannot express narrowly (a pod
 * with no labels to select it by, both ends outside the namespace or the cluster) is reported as
 * not attributed, never widened. Pure: no clock, no I/O.
 */
import { formatCidr, parseCidr, parseIp } from '../k8s/cidr';
import { DEFAULT_KEYWORD_OPTIONS, type KeywordOptions } from '../policy/keywords';

/** One end of a flow (the observed-flows contract's FlowPeer; the core does not import contracts). */
export type SuggestPeer =
  | { kind: 'workload'; namespace: string; name: string; selector: Record<string, string> }
  | { kind: 'address'; address: string; name?: string };

/** An observed flow as the suggestion reads it (the contract's ObservedFlow fits). */
export interface SuggestFlow {
  source: SuggestPeer;
  destination: SuggestPeer;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  /** 'would-block' (audit mode) passed: it is traffic in use, like 'allowed'. */
  verdict: 'allowed' | 'blocked' | 'would-block';
  count: number;
}

/** What one flow adds to the change, on each side of it that lives in the namespace. */
export interface FlowRule {
  direction: 'ingress' | 'egress';
  /** The namespace's workload the rule is written for, as a request endpoint (`backend/app=api`). */
  subject: string;
  /** The other end as a peer of the language (`frontend/app=nginx`, `dns`, `203.0.113.0/24`). */
  peer: string;
  /** `tcp/8080`; empty for `dns` (the keyword brings its ports). */
  port: string;
}

export interface SuggestionItem<F extends SuggestFlow = SuggestFlow> {
  /** Stable within the suggestion: the checkbox's value. */
  id: string;
  flow: F;
  /** Ticked when shown: the flow was allowed when seen. */
  ticked: boolean;
  rules: FlowRule[];
}

export interface Unattributed<F extends SuggestFlow = SuggestFlow> {
  flow: F;
  why: string;
}

export interface Suggestion<F extends SuggestFlow = SuggestFlow> {
  namespace: string;
  items: SuggestionItem<F>[];
  unattributed: Unattributed<F>[];
}

export interface SuggestOptions {
  /** What `dns` means here (config `dns`); default: the builder's. */
  keywords?: KeywordOptions;
}

export function suggestFor<F extends SuggestFlow>(
  namespace: string,
  flows: readonly F[],
  options: SuggestOptions = {},
): Suggestion<F> {
  const keywords = options.keywords ?? DEFAULT_KEYWORD_OPTIONS;
  const mine = oneFlowEach(
    flows.filter((f) => inNamespace(f.source, namespace) || inNamespace(f.destination, namespace)),
  );
  const cidrs = groupedAddresses(mine.flatMap((f) => [f.source, f.destination]));
  const sorted = [...mine].sort((a, b) => flowKey(a).localeCompare(flowKey(b)));
  const items: SuggestionItem<F>[] = [];
  const unattributed: Unattributed<F>[] = [];
  for (const flow of sorted) {
    const rules: FlowRule[] = [];
    let why: string | undefined;
    for (const direction of ['egress', 'ingress'] as const) {
      const [own, other] =
        direction === 'egress' ? [flow.source, flow.destination] : [flow.destination, flow.source];
      if (!inNamespace(own, namespace)) continue;
      const subject = endpointOf(own);
      if (subject === undefined) {
        why = `${peerText(own)} has no labels to select it by`;
        continue;
      }
      const peer = direction === 'egress' && isDns(other, flow.port, keywords) ? 'dns' : peerOf(other, cidrs);
      if (peer === undefined) {
        why = `${peerText(other)} has no labels to select it by`;
        continue;
      }
      rules.push({
        direction,
        subject,
        peer,
        port: peer === 'dns' ? '' : `${flow.protocol.toLowerCase()}/${flow.port}`,
      });
    }
    if (rules.length === 0)
      unattributed.push({ flow, why: why ?? 'neither end is a workload of the namespace' });
    else items.push({ id: `f${items.length + 1}`, flow, ticked: flow.verdict !== 'blocked', rules });
  }
  return { namespace, items, unattributed };
}

/**
 * The change as requests of the language, for the ticked items: one deny-with-exceptions per
 * workload and direction that keeps something open, then the namespace isolated both ways.
 */
export function suggestionRequests(suggestion: Suggestion, ticked: ReadonlySet<string>): string[] {
  const bySubject = new Map<string, Map<string, Set<string>>>();
  for (const item of suggestion.items) {
    if (!ticked.has(item.id)) continue;
    for (const rule of item.rules) {
      const key = `${rule.direction} ${rule.subject}`;
      let peers = bySubject.get(key);
      if (peers === undefined) bySubject.set(key, (peers = new Map()));
      let ports = peers.get(rule.peer);
      if (ports === undefined) peers.set(rule.peer, (ports = new Set()));
      if (rule.port !== '') ports.add(rule.port);
    }
  }
  const requests: string[] = [];
  for (const key of [...bySubject.keys()].sort()) {
    const [direction, subject] = key.split(' ') as ['ingress' | 'egress', string];
    const except = [...bySubject.get(key)!.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([peer, ports]) => (ports.size === 0 ? peer : `${peer} on ${[...ports].sort().join(',')}`));
    const verb = direction === 'ingress' ? `deny ingress to ${subject}` : `deny egress from ${subject}`;
    requests.push(`${verb} except ${except.join(' | ')}`);
  }
  // Last: policies are applied in order, and isolating the namespace before the exceptions exist
  // would cut the observed traffic for a moment.
  requests.push(`deny all in ${suggestion.namespace}`);
  return requests;
}

/** `frontend/nginx`, or the address (and its name). */
export function peerText(peer: SuggestPeer): string {
  if (peer.kind === 'workload') return `${peer.namespace}/${peer.name}`;
  return peer.name === undefined ? peer.address : `${peer.address} (${peer.name})`;
}

function inNamespace(peer: SuggestPeer, namespace: string): boolean {
  return peer.kind === 'workload' && peer.namespace === namespace;
}

/** `ns/k=v,k2=v2`; undefined for a pod with nothing to select it by (it would mean every pod). */
function endpointOf(peer: SuggestPeer): string | undefined {
  if (peer.kind !== 'workload') return undefined;
  const keys = Object.keys(peer.selector).sort();
  if (keys.length === 0) return undefined;
  return `${peer.namespace}/${keys.map((k) => `${k}=${peer.selector[k]}`).join(',')}`;
}

function peerOf(peer: SuggestPeer, cidrs: ReadonlyMap<string, string>): string | undefined {
  return peer.kind === 'workload' ? endpointOf(peer) : cidrs.get(peer.address);
}

function isDns(peer: SuggestPeer, port: number, keywords: KeywordOptions): boolean {
  if (peer.kind !== 'workload' || peer.namespace !== keywords.dns.namespace || port !== keywords.dns.port)
    return false;
  const wanted = Object.entries(keywords.dns.podLabels);
  // The resolver's own label (k8s-app=kube-dns) or its name (coredns, kube-dns).
  return (
    wanted.every(
      ([k, v]) => Object.prototype.hasOwnProperty.call(peer.selector, k) && peer.selector[k] === v,
    ) ||
    peer.name === 'kube-dns' ||
    peer.name === 'coredns'
  );
}

/**
 * Outside addresses grouped into CIDRs: addresses sharing a /24 (IPv4) or /64 (IPv6) become their
 * smallest common prefix, a lone address its /32 or /128. Grouping never crosses those bounds.
 */
export function groupedAddresses(peers: readonly SuggestPeer[]): Map<string, string> {
  const groups = new Map<string, string[]>();
  for (const peer of peers) {
    if (peer.kind !== 'address') continue;
    let ip;
    try {
      ip = parseIp(peer.address);
    } catch {
      continue;
    }
    const bound = ip.family === 4 ? 24 : 64;
    const key = formatCidr(parseCidr(`${peer.address}/${bound}`));
    const members = groups.get(key) ?? [];
    if (!members.includes(peer.address)) members.push(peer.address);
    groups.set(key, members);
  }
  const out = new Map<string, string>();
  for (const [key, members] of groups) {
    const family = key.includes(':') ? 6 : 4;
    const full = family === 4 ? 32 : 128;
    const bound = family === 4 ? 24 : 64;
    let prefix = full;
    while (prefix > bound) {
      const candidate = parseCidr(`${members[0]}/${prefix}`);
      const all = members.every((m) => formatCidr(parseCidr(`${m}/${prefix}`)) === formatCidr(candidate));
      if (all) break;
      prefix--;
    }
    const cidr = formatCidr(parseCidr(`${members[0]}/${prefix}`));
    for (const m of members) out.set(m, cidr);
  }
  return out;
}

/**
 * One flow per (source, destination, protocol, port): the store keeps a flow seen blocked and
 * later allowed (a policy changed in between) as two; offering both would show two identical
 * checkboxes and warn that the change keeps blocking a flow its ticked twin allows. The allowed
 * sighting wins (the traffic is in use), counts are not added (sampled flows vs drops).
 */
function oneFlowEach<F extends SuggestFlow>(flows: readonly F[]): F[] {
  const byPath = new Map<string, F>();
  for (const flow of flows) {
    const path = flowKey({ ...flow, verdict: 'allowed' });
    const kept = byPath.get(path);
    if (kept === undefined || (kept.verdict === 'blocked' && flow.verdict !== 'blocked'))
      byPath.set(path, flow);
  }
  return [...byPath.values()];
}

function flowKey(flow: SuggestFlow): string {
  return [
    flow.verdict === 'blocked' ? 1 : 0,
    peerText(flow.source),
    peerText(flow.destination),
    flow.protocol,
    String(flow.port).padStart(5, '0'),
  ].join('|');
}
