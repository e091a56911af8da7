/**
 * A dataplane drop (endpoint id, addresses, reason) as the contract's DropEvent: the local pod
 * behind the endpoint and, when the other address is a known pod's, that pod, both with their
 * labels. Pure: the Enforcer answers the lookups from what it knows at that moment.
 */
import type { DataplaneEvent } from '../adapters/bpf/abi';
import { DROP_EVENT_VERSION, type DropEvent, type DropEventPod } from '../contracts/drop-events';
import type { PodFacts } from './enforcer';

export interface DropEventContext {
  readonly cluster: string;
  readonly node: string;
  readonly now: Date;
  podOfEndpoint(endpointId: number): PodFacts | undefined;
  podOf(address: string): PodFacts | undefined;
}

function described(pod: PodFacts | undefined): DropEventPod | null {
  return pod === undefined ? null : { namespace: pod.namespace, name: pod.name, labels: { ...pod.labels } };
}

export function dropEventOf(event: DataplaneEvent, context: DropEventContext): DropEvent {
  const peerAddress = event.direction === 'ingress' ? event.source : event.destination;
  return {
    v: DROP_EVENT_VERSION,
    cluster: context.cluster,
    node: context.node,
    at: context.now.toISOString(),
    pod: described(context.podOfEndpoint(event.endpointId)),
    peer: described(context.podOf(peerAddress)),
    direction: event.direction,
    source: event.source,
    destination: event.destination,
    sourcePort: event.sourcePort,
    destinationPort: event.destinationPort,
    protocol: event.protocol,
    peerAddress,
    reason: event.reason,
    suppressed: event.suppressed,
  };
}
