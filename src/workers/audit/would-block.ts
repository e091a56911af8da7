/**
 * What a request's audit-mode policies would have blocked (issue 10), from the agents' observed
 * flows: the 'would-block' flows whose auditPolicies name one of the request's policies, seen since
 * it was approved, one line per source workload -> destination workload, protocol and port (as drop
 * alerts group drops), most first. Pure.
 *
 * The flow store indexes a flow under the namespace of each of its ends, so the same flow can come
 * back from two namespaces' lists: it is counted once. The store's counts are running totals over
 * its retention, and the policy names of an audit do not change from one audit of the same request
 * to the next, so a flow also seen in an earlier audit carries that audit's counts too: the counts
 * the store held when the report was scheduled (auditBaseline) are subtracted from it.
 *
 * Each line carries the nodes whose agents saw its flow (the union the store keeps, as drop alerts
 * name theirs), none when only agents older than that field reported it. The store keeps them per
 * flow over its retention, not per audit: a flow also seen in an earlier audit names that audit's
 * nodes too.
 */
import type { ObservedFlow } from '../../contracts/observed-flows';
import type { AuditBaselineEntry } from '../../contracts/queues';
import { peerText } from '../../core/suggest/suggest-policies';
import { flowId } from '../../adapters/redis/flow-store';

export interface WouldBlockFlow {
  /** `frontend/nginx`, or an address (with its nearest known name). */
  source: string;
  destination: string;
  /** `tcp/80` */
  port: string;
  count: number;
  /** The request's policies (`namespace/name`) that would have blocked it. */
  blockedBy: string[];
  /** The nodes that saw it (sorted, bounded by the flow store); absent when unknown. */
  nodes?: string[];
  /** How many nodes saw it, when more than `nodes` names. */
  nodeCount?: number;
}

export interface WouldBlockOptions {
  /** The request's audit policies, `namespace/name`. */
  policies: ReadonlySet<string>;
  /** ISO time the request was approved: flows last seen before it are not this audit's. */
  since: string;
  /** What the store already counted for these flows when the report was scheduled (auditBaseline). */
  baseline?: readonly AuditBaselineEntry[];
}

/** The flows naming the request's policies, once each, keyed by the store's flow id. */
function requestFlows(
  flows: Iterable<ObservedFlow>,
  options: Pick<WouldBlockOptions, 'policies'>,
): Map<string, { flow: ObservedFlow; blockedBy: string[] }> {
  const byId = new Map<string, { flow: ObservedFlow; blockedBy: string[] }>();
  for (const flow of flows) {
    if (flow.verdict !== 'would-block') continue;
    const blockedBy = (flow.auditPolicies ?? []).filter((key) => options.policies.has(key));
    if (blockedBy.length === 0) continue;
    const id = flowId(flow);
    const known = byId.get(id);
    if (known === undefined) byId.set(id, { flow, blockedBy: [...new Set(blockedBy)].sort() });
    // The same hash read under two namespaces: the same nodes, unless a write landed in between.
    else known.flow = { ...known.flow, ...nodesOf([known.flow, flow]) };
  }
  return byId;
}

/** The union of the flows' nodes: names sorted, the count the largest known (absent: unknown). */
function nodesOf(flows: readonly ObservedFlow[]): Pick<WouldBlockFlow, 'nodes' | 'nodeCount'> {
  const names = new Set(flows.flatMap((flow) => flow.nodes ?? []));
  if (names.size === 0) return {};
  const nodes = [...names].sort();
  const count = Math.max(nodes.length, ...flows.map((flow) => flow.nodeCount ?? 0));
  return count > nodes.length ? { nodes, nodeCount: count } : { nodes };
}

/**
 * The counts a new audit must not report: the request's would-block flows first seen before it was
 * approved (an earlier audit of the same policy names) with what the store counted for them so far.
 * A flow first seen since the approval is this audit's alone and needs no entry.
 */
export function auditBaseline(
  flows: Iterable<ObservedFlow>,
  options: Pick<WouldBlockOptions, 'policies' | 'since'>,
): AuditBaselineEntry[] {
  const since = Date.parse(options.since);
  return [...requestFlows(flows, options)]
    .filter(([, { flow }]) => Date.parse(flow.firstSeen) < since)
    .map(([id, { flow }]) => ({ flow: id, count: flow.count, firstSeen: flow.firstSeen }));
}

export function wouldBlock(flows: Iterable<ObservedFlow>, options: WouldBlockOptions): WouldBlockFlow[] {
  const since = Date.parse(options.since);
  const before = new Map((options.baseline ?? []).map((entry) => [entry.flow, entry]));
  const out: WouldBlockFlow[] = [];
  for (const [id, { flow, blockedBy }] of requestFlows(flows, options)) {
    if (Date.parse(flow.lastSeen) < since) continue;
    // A flow first seen after the baseline's is another one: the old hash expired and was written anew.
    const baseline = before.get(id);
    const counted =
      baseline !== undefined && Date.parse(flow.firstSeen) <= Date.parse(baseline.firstSeen)
        ? baseline.count
        : 0;
    const count = flow.count - counted;
    if (count <= 0) continue;
    out.push({
      source: peerText(flow.source),
      destination: peerText(flow.destination),
      port: `${flow.protocol.toLowerCase()}/${flow.port}`,
      count,
      blockedBy,
      ...nodesOf([flow]),
    });
  }
  return out.sort(
    (a, b) =>
      b.count - a.count ||
      a.source.localeCompare(b.source) ||
      a.destination.localeCompare(b.destination) ||
      a.port.localeCompare(b.port),
  );
}
