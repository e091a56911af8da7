/**
 * Observed flows (issue 10): what node agents saw, aggregated per workload pair, port, protocol and
 * verdict, for `/netpol suggest` and `/netpol graph` (and `netpol graph --flows FILE` and `netpol
 * suggest NAMESPACE --flows FILE`, whose file is an ObservedFlowsFile as JSON). Agents sample accepted new flows and report every drop; the
 * aggregate counts both. Changing this shape is changing a wire and file format: add optional
 * fields, bump `v` for anything else.
 */

export const OBSERVED_FLOWS_VERSION = 1 as const;

/** One end of a flow: a workload of the cluster, or an address outside it. */
export type FlowPeer =
  | {
      kind: 'workload';
      namespace: string;
      /** The workload's name (app.kubernetes.io/name, app, or the pod name without its suffix). */
      name: string;
      /** The narrowest sensible selector for it: the label its name came from, or its own labels. */
      selector: Record<string, string>;
    }
  | {
      kind: 'address';
      /** An IPv4 or IPv6 address outside every known pod. */
      address: string;
      /** The nearest known name, when there is one (a Service, a node...). */
      name?: string;
    };

export interface ObservedFlow {
  source: FlowPeer;
  destination: FlowPeer;
  /** 'TCP' | 'UDP' | 'SCTP' for ported protocols; others are not policy-addressable by port. */
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** The destination port. */
  port: number;
  /**
   * Whether the dataplane let it through when it was seen: 'would-block' is audit mode (issue 10):
   * it passed, but policies in audit mode (`auditPolicies`) would have dropped it.
   */
  verdict: 'allowed' | 'blocked' | 'would-block';
  /** For 'would-block': the audit-mode policies ("namespace/name") isolating the pod that judged it. */
  auditPolicies?: string[];
  /**
   * The nodes whose agent saw it (node names, sorted). An agent reports its own; the flow store keeps
   * the union, at most the first 16 names (`nodeCount` then says how many there were). Absent from
   * flows written by agents older than this field: their node is unknown.
   */
  nodes?: string[];
  /** How many distinct nodes saw it, when more than `nodes` lists (the store's estimate past its bound). */
  nodeCount?: number;
  /** How many flows (allowed: sampled new connections; blocked: drops) were counted. */
  count: number;
  /** ISO 8601. */
  firstSeen: string;
  lastSeen: string;
}

/** The JSON file `netpol graph --flows` and `netpol suggest --flows` read. */
export interface ObservedFlowsFile {
  v: typeof OBSERVED_FLOWS_VERSION;
  cluster?: string;
  flows: ObservedFlow[];
}
