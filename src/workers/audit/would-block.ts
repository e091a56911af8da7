/**
 * What a request's audit-mode policies would have blocked (issue 10), from the agents' observed
 * flows: the 'would-block' flows whose auditPolicies name one of the request's policies, seen since
 * it was approved, one line per source workload -> destination workload, protocol and port (as drop
 * alerts group drops), most first. Pure.
 *
 * The flow store indexes a flow under the namespace of each of its ends, so the same flow can come
 * back from two namespaces' lists: it is counted once. Counts are the store's: what agents counted
 * for that flow within their retention, so a flow also seen before this apply (an earlier audit of
 * the same policies) carries those counts too.
 */
import type { ObservedFlow } from '../../contracts/observed-flows';
import { peerText } from '../../core/suggest/suggest-policies';
import { peerKey } from '../../adapters/redis/flow-store';

export interface WouldBlockFlow {
  /** `frontend/nginx`, or an address (with its nearest known name). */
  source: string;
  destination: string;
  /** `tcp/80` */
  port: string;
  count: number;
  /** The request's policies (`namespace/name`) that would have blocked it. */
  blockedBy: string[];
}

export interface WouldBlockOptions {
  /** The request's audit policies, `namespace/name`. */
  policies: ReadonlySet<string>;
  /** ISO time the request was approved: flows last seen before it are not this audit's. */
  since: string;
}

export function wouldBlock(flows: Iterable<ObservedFlow>, options: WouldBlockOptions): WouldBlockFlow[] {
  const since = Date.parse(options.since);
  const byFlow = new Map<string, WouldBlockFlow>();
  for (const flow of flows) {
    if (flow.verdict !== 'would-block') continue;
    if (Date.parse(flow.lastSeen) < since) continue;
    const blockedBy = (flow.auditPolicies ?? []).filter((key) => options.policies.has(key));
    if (blockedBy.length === 0) continue;
    const id = [peerKey(flow.source), peerKey(flow.destination), flow.protocol, flow.port].join('|');
    if (byFlow.has(id)) continue;
    byFlow.set(id, {
      source: peerText(flow.source),
      destination: peerText(flow.destination),
      port: `${flow.protocol.toLowerCase()}/${flow.port}`,
      count: flow.count,
      blockedBy: [...new Set(blockedBy)].sort(),
    });
  }
  return [...byFlow.values()].sort(
    (a, b) =>
      b.count - a.count ||
      a.source.localeCompare(b.source) ||
      a.destination.localeCompare(b.destination) ||
      a.port.localeCompare(b.port),
  );
}
