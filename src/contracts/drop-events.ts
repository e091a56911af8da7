/**
 * Drop events: what a node agent publishes when its dataplane drops a packet, for the alerting
 * that reads them. One Redis Stream per cluster (`dropStreamKey`), capped approximately with
 * `XADD ... MAXLEN ~ N`; each entry has one field, `event`, holding the JSON of a DropEvent.
 * Changing this shape is changing a wire format: add optional fields, bump `v` for anything else.
 */

export const DROP_EVENT_VERSION = 1 as const;

/** A pod as the agent knew it when the drop happened. */
export interface DropEventPod {
  namespace: string;
  name: string;
  /** Its labels (workload labels such as app/app.kubernetes.io/name among them). */
  labels: Record<string, string>;
}

export interface DropEvent {
  v: typeof DROP_EVENT_VERSION;
  cluster: string;
  node: string;
  /** When the kernel saw the packet (ISO 8601, from the agent's clock at decoding). */
  at: string;
  /** The pod whose policy dropped it (the local pod behind the host veth). */
  pod: DropEventPod | null;
  /** The other end: a pod when its address is a known pod's, else null (see `peerAddress`). */
  peer: DropEventPod | null;
  /** Ingress: the peer sent to the pod; egress: the pod sent to the peer. */
  direction: 'ingress' | 'egress';
  source: string;
  destination: string;
  sourcePort: number;
  destinationPort: number;
  /** IP protocol number (6 TCP, 17 UDP, 132 SCTP, ...). */
  protocol: number;
  peerAddress: string;
  /** The dataplane's reason: NO_RULE_INGRESS, NO_RULE_EGRESS, NOT_READY, ... */
  reason: string;
  /** Events the kernel suppressed for this flow before this one (rate limit). */
  suppressed: number;
}

/** The Redis Stream of one cluster's drops. */
export function dropStreamKey(prefix: string, cluster: string): string {
  return `${prefix}:drops:${cluster}`;
}

/** The stream entry's field/value pairs for XADD. */
export function dropEventFields(event: DropEvent): [string, string] {
  return ['event', JSON.stringify(event)];
}

/** A stream entry's fields (as XRANGE returns them) back into a DropEvent; null if not one. */
export function parseDropEventFields(fields: readonly string[]): DropEvent | null {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'event') continue;
    try {
      const value = JSON.parse(fields[i + 1]!) as DropEvent;
      return value !== null && typeof value === 'object' && value.v === DROP_EVENT_VERSION ? value : null;
    } catch {
      return null;
    }
  }
  return null;
}
