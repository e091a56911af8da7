/**
 * Observed flows in the agent (issue 10): dataplane events (sampled new allowed flows, drops) as
 * counts per (source workload, destination workload, protocol, port, verdict) for one interval.
 * Bounded: at most `maxKeys` distinct flows are held; events of a flow beyond them are counted as
 * overflow, not kept, so a scan of many ports or addresses cannot grow the agent's memory.
 *
 * Drops feed the same aggregate as 'blocked' here rather than in the alert worker: the agent sees
 * both verdicts with the same pod facts at the same moment, the store gets one writer per node with
 * one naming (core/k8s/workload.ts), and suggestions work whether or not alerts are configured.
 *
 * Audit mode (issue 10): a WOULD_DROP event (passed, but the rules of the audit-mode policies
 * isolating the pod would have dropped it) is a 'would-block' flow naming those policies
 * (`auditPolicies`, the union of what its events named): the audit report and /netpol suggest read
 * it; it is never a drop.
 */
import type { DataplaneEvent } from '../adapters/bpf/abi';
import type { FlowPeer, ObservedFlow } from '../contracts/observed-flows';
import { workloadOf } from '../core/k8s/workload';
import { peerKey } from '../adapters/redis/flow-store';

/** What the aggregator asks about pods (the Enforcer answers). */
export interface FlowPods {
  podOfEndpoint(
    endpointId: number,
  ): { namespace: string; name: string; labels: Readonly<Record<string, string>> } | undefined;
  podOf(
    address: string,
  ): { namespace: string; name: string; labels: Readonly<Record<string, string>> } | undefined;
  /** The audit-mode policies ("namespace/name") the endpoint's side is audited with (none: []). */
  auditPoliciesOf?(endpointId: number, direction: 'ingress' | 'egress'): readonly string[];
}

const VERDICTS: Record<DataplaneEvent['kind'], ObservedFlow['verdict']> = {
  drop: 'blocked',
  'would-drop': 'would-block',
  'allow-new-flow': 'allowed',
};

const PROTOCOLS = new Map<number, ObservedFlow['protocol']>([
  [6, 'TCP'],
  [17, 'UDP'],
  [132, 'SCTP'],
]);

export interface FlowDrain {
  flows: ObservedFlow[];
  /** Events not kept because `maxKeys` flows were already held. */
  overflow: number;
}

export class FlowAggregator {
  private flows = new Map<string, ObservedFlow>();
  private overflow = 0;

  constructor(private readonly maxKeys: number) {}

  /** Counts one event; false when it was not kept (a protocol without ports, or the bound). */
  add(event: DataplaneEvent, pods: FlowPods, now: Date): boolean {
    const protocol = PROTOCOLS.get(event.protocol);
    if (protocol === undefined) return false;
    const remoteAddress = event.direction === 'ingress' ? event.source : event.destination;
    const localAddress = event.direction === 'ingress' ? event.destination : event.source;
    const local = peerOf(pods.podOfEndpoint(event.endpointId), localAddress);
    const remote = peerOf(pods.podOf(remoteAddress), remoteAddress);
    const [source, destination] = event.direction === 'ingress' ? [remote, local] : [local, remote];
    const verdict = VERDICTS[event.kind];
    const key = [verdict, peerKey(source), peerKey(destination), protocol, event.destinationPort].join('|');
    const count = 1 + (Number.isInteger(event.suppressed) && event.suppressed > 0 ? event.suppressed : 0);
    const at = now.toISOString();
    const audit =
      verdict === 'would-block' ? (pods.auditPoliciesOf?.(event.endpointId, event.direction) ?? []) : [];
    const held = this.flows.get(key);
    if (held !== undefined) {
      held.count += count;
      held.lastSeen = at;
      if (audit.length > 0) held.auditPolicies = union(held.auditPolicies, audit);
      return true;
    }
    if (this.flows.size >= this.maxKeys) {
      this.overflow += count;
      return false;
    }
    this.flows.set(key, {
      source,
      destination,
      protocol,
      port: event.destinationPort,
      verdict,
      ...(audit.length > 0 ? { auditPolicies: [...audit].sort() } : {}),
      count,
      firstSeen: at,
      lastSeen: at,
    });
    return true;
  }

  get size(): number {
    return this.flows.size;
  }

  /** The interval's flows and overflow; the aggregator starts the next interval empty. */
  drain(): FlowDrain {
    const out = { flows: [...this.flows.values()], overflow: this.overflow };
    this.flows = new Map();
    this.overflow = 0;
    return out;
  }
}

function union(held: readonly string[] | undefined, more: readonly string[]): string[] {
  return [...new Set([...(held ?? []), ...more])].sort();
}

function peerOf(
  pod: { namespace: string; name: string; labels: Readonly<Record<string, string>> } | undefined,
  address: string,
): FlowPeer {
  return pod === undefined
    ? { kind: 'address', address }
    : workloadOf({ namespace: pod.namespace, name: pod.name, labels: { ...pod.labels } });
}
