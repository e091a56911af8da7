/**
 * Drop events: what a node agent publishes when its dataplane drops a packet, for the alerting
 * that reads them. One Redis Stream per cluster (`dropStreamKey`), capped approximately with
 * `XADD ... MAXLEN ~ N`. An entry has one field: `event`, holding the JSON of one DropEvent, or
 * (optional, from agents that batch under a storm) `events`, holding a JSON array of DropEvents:
 * one XADD, one stream entry and one acknowledgement for many drops. Readers take both
 * (`parseDropEventEntry`); `parseDropEventFields` reads single-event entries only.
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
  /**
   * Drops of this flow this event also stands for: those the kernel suppressed before it (rate
   * limit), and those of the same second an agent coalesced into it. An event is 1 + suppressed drops.
   */
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

/** One stream entry's fields carrying several events (the optional `events` field). */
export function dropEventBatchFields(events: readonly DropEvent[]): [string, string] {
  return ['events', JSON.stringify(events)];
}

function isDropEvent(value: unknown): value is DropEvent {
  return value !== null && typeof value === 'object' && (value as DropEvent).v === DROP_EVENT_VERSION;
}

/**
 * A stream entry's fields (as XRANGE returns them) back into its DropEvents, whichever field
 * carries them; null if the entry is not readable (bad JSON, no such field, an event of another
 * version): such an entry stands for an unknown number of drops, never for some of them.
 */
export function parseDropEventEntry(fields: readonly string[]): DropEvent[] | null {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name !== 'event' && name !== 'events') continue;
    let value: unknown;
    try {
      value = JSON.parse(fields[i + 1]!);
    } catch {
      return null;
    }
    if (name === 'event') return isDropEvent(value) ? [value] : null;
    return Array.isArray(value) && value.length > 0 && value.every(isDropEvent) ? value : null;
  }
  return null;
}

/** A single-event stream entry's fields back into a DropEvent; null if not one. */
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
