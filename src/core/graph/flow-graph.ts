/**
 * `/netpol graph` and `netpol graph` (issue 10): observed flows in, a picture's description out.
 * Two steps, both pure: `buildFlowGraph` makes the model (workloads grouped by namespace, outside
 * addresses as nodes of their own, one edge per source, destination and verdict with the ports seen
 * on it), `flowGraphDot` writes it as Graphviz DOT text, which an adapter lays out and rasterises
 * (src/adapters/graph/render-png.ts). The layout is Graphviz's job; here only what to draw.
 *
 * Stable: the same flows in any order give the same text (namespaces, nodes, edges and ports
 * sorted; node ids numbered in that order), so a golden DOT file means something and a picture does
 * not move between two runs. Every name from the cluster or the flows is written inside a quoted,
 * escaped DOT string, never as an identifier.
 */
import { workloadOf, type PodLike } from '../k8s/workload';

/** One end of a flow (the observed-flows contract's FlowPeer; the core does not import contracts). */
export type GraphPeer =
  { kind: 'workload'; namespace: string; name: string } | { kind: 'address'; address: string; name?: string };

/** An observed flow as the graph reads it (the contract's ObservedFlow fits). */
/** 'would-block': passed, but policies in audit mode would have dropped it (issue 10). */
export type FlowVerdict = 'allowed' | 'blocked' | 'would-block';

export interface GraphFlow {
  source: GraphPeer;
  destination: GraphPeer;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  verdict: FlowVerdict;
  count: number;
}

export interface FlowGraphOptions {
  /** Only the flows with an end in this namespace (and its workloads); all flows when absent. */
  namespace?: string;
  /**
   * Pods of the cluster (a state file's, or the workers' snapshot): their workloads in the graph's
   * namespace (every namespace when none is named) are drawn even when no flow was seen for them.
   */
  pods?: readonly PodLike[];
  /** The graph's title; default "observed flows in <namespace>" (or "observed flows"). */
  title?: string;
}

export interface GraphNode {
  /** `n0`, `n1`, ... in drawing order. */
  id: string;
  peer: GraphPeer;
  /** What the node shows: the workload's name, or the address (and its nearest known name). */
  label: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  verdict: FlowVerdict;
  /** `tcp/8080 (1,204)`, one per protocol and port, sorted. */
  ports: string[];
  count: number;
}

export interface FlowGraph {
  title: string;
  /** Namespace -> its workloads' nodes, both sorted by name. */
  namespaces: Map<string, GraphNode[]>;
  /** Addresses outside the cluster, sorted. */
  addresses: GraphNode[];
  edges: GraphEdge[];
}

/** Allowed flows in green, blocked ones in red (the issue's words); the legend says so too. */
export const VERDICT_COLOURS = { allowed: '#2e7d32', blocked: '#d32f2f', 'would-block': '#ef6c00' } as const;

function peerKey(peer: GraphPeer): string {
  return peer.kind === 'workload' ? `w\u0000${peer.namespace}\u0000${peer.name}` : `a\u0000${peer.address}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** 1204 -> "1,204", without the host's locale. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function touches(flow: GraphFlow, namespace: string): boolean {
  return [flow.source, flow.destination].some((p) => p.kind === 'workload' && p.namespace === namespace);
}

export function buildFlowGraph(flows: readonly GraphFlow[], options: FlowGraphOptions = {}): FlowGraph {
  const { namespace } = options;
  const kept = namespace === undefined ? flows : flows.filter((f) => touches(f, namespace));
  const peers = new Map<string, GraphPeer>();
  const remember = (peer: GraphPeer): void => {
    const key = peerKey(peer);
    const known = peers.get(key);
    // An address's nearest name may be known to one report and not another: keep the one given.
    if (known === undefined || (known.kind === 'address' && known.name === undefined)) peers.set(key, peer);
  };
  for (const flow of kept) {
    remember(flow.source);
    remember(flow.destination);
  }
  for (const pod of options.pods ?? []) {
    if (namespace !== undefined && pod.namespace !== namespace) continue;
    const { name } = workloadOf(pod);
    remember({ kind: 'workload', namespace: pod.namespace, name });
  }

  const byNamespace = new Map<string, GraphPeer[]>();
  const addressPeers: GraphPeer[] = [];
  for (const peer of peers.values()) {
    if (peer.kind === 'address') addressPeers.push(peer);
    else byNamespace.set(peer.namespace, [...(byNamespace.get(peer.namespace) ?? []), peer]);
  }
  const ids = new Map<string, string>();
  const node = (peer: GraphPeer): GraphNode => {
    const id = `n${ids.size}`;
    ids.set(peerKey(peer), id);
    const label =
      peer.kind === 'workload'
        ? peer.name
        : peer.name === undefined
          ? peer.address
          : `${peer.address}\n${peer.name}`;
    return { id, peer, label };
  };
  const namespaces = new Map<string, GraphNode[]>();
  for (const ns of [...byNamespace.keys()].sort(compareText)) {
    const members = byNamespace.get(ns)!.sort((a, b) => compareText(peerKey(a), peerKey(b)));
    namespaces.set(ns, members.map(node));
  }
  const addresses = addressPeers.sort((a, b) => compareText(peerKey(a), peerKey(b))).map(node);

  const edges = new Map<string, { edge: GraphEdge; ports: Map<string, number> }>();
  for (const flow of kept) {
    const from = ids.get(peerKey(flow.source))!;
    const to = ids.get(peerKey(flow.destination))!;
    const key = `${from}>${to}>${flow.verdict}`;
    const entry = edges.get(key) ?? {
      edge: { from, to, verdict: flow.verdict, ports: [], count: 0 },
      ports: new Map<string, number>(),
    };
    edges.set(key, entry);
    const port = `${flow.protocol.toLowerCase()}/${flow.port}`;
    entry.ports.set(port, (entry.ports.get(port) ?? 0) + flow.count);
    entry.edge.count += flow.count;
  }
  const order = (id: string): number => Number(id.slice(1));
  const sortedEdges = [...edges.values()]
    .map(({ edge, ports }) => ({
      ...edge,
      ports: [...ports.entries()]
        .sort(([a], [b]) => comparePorts(a, b))
        .map(([port, count]) => `${port} (${formatCount(count)})`),
    }))
    .sort(
      (a, b) =>
        order(a.from) - order(b.from) || order(a.to) - order(b.to) || compareText(a.verdict, b.verdict),
    );

  const title =
    options.title ?? (namespace === undefined ? 'observed flows' : `observed flows in ${namespace}`);
  return { title, namespaces, addresses, edges: sortedEdges };
}

/** `tcp/53` before `tcp/443` before `udp/53`: protocol, then the port as a number. */
function comparePorts(a: string, b: string): number {
  const [pa, na] = a.split('/') as [string, string];
  const [pb, nb] = b.split('/') as [string, string];
  return compareText(pa, pb) || Number(na) - Number(nb);
}

/**
 * A DOT quoted string. Graphviz reads `\"` as a quote and keeps other backslash sequences for its
 * label escapes (`\N`, `\G`, `\l`...), so a backslash is doubled; a line break becomes `\n`.
 */
export function dotString(text: string): string {
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\r\n|\r|\n/g, '\\n');
  return `"${escaped}"`;
}

const FONT = 'DejaVu Sans,Helvetica,Arial,sans-serif';

/** The graph as DOT: one cluster per namespace, outside addresses apart, and a legend. */
export function flowGraphDot(graph: FlowGraph): string {
  const lines: string[] = [
    'digraph flows {',
    `  graph [label=${dotString(graph.title)}, labelloc="t", fontsize=16, fontname=${dotString(FONT)}, rankdir="LR", compound=true, nodesep=0.4, ranksep=0.9, pad=0.3, bgcolor="white"];`,
    `  node [shape="box", style="rounded,filled", fillcolor="#f5f7fa", color="#5f6b7a", fontname=${dotString(FONT)}, fontsize=11];`,
    `  edge [fontname=${dotString(FONT)}, fontsize=9, penwidth=1.4];`,
  ];
  let cluster = 0;
  for (const [namespace, nodes] of graph.namespaces) {
    lines.push(`  subgraph cluster_${cluster++} {`);
    lines.push(
      `    graph [label=${dotString(`namespace ${namespace}`)}, style="rounded", color="#9aa5b1", fontsize=12];`,
    );
    for (const n of nodes) lines.push(`    ${n.id} [label=${dotString(n.label)}];`);
    lines.push('  }');
  }
  for (const n of graph.addresses) {
    lines.push(
      `  ${n.id} [label=${dotString(n.label)}, shape="box", style="dashed", fillcolor="white", tooltip=${dotString('outside the cluster')}];`,
    );
  }
  for (const e of graph.edges) {
    const colour = VERDICT_COLOURS[e.verdict];
    const style =
      e.verdict === 'blocked' ? ', style="dashed"' : e.verdict === 'would-block' ? ', style="dotted"' : '';
    lines.push(
      `  ${e.from} -> ${e.to} [label=${dotString(e.ports.join('\n'))}, color="${colour}", fontcolor="${colour}"${style}];`,
    );
  }
  // The legend: two sample edges, drawn like the real ones, in a box of their own.
  lines.push('  subgraph cluster_legend {');
  lines.push('    graph [label="legend", style="solid", color="#cbd2d9", fontsize=10];');
  lines.push('    node [shape="point", width=0.05, color="#5f6b7a"];');
  lines.push(
    '    legend_a1 -> legend_a2 [label="allowed", color="' +
      VERDICT_COLOURS.allowed +
      '", fontcolor="' +
      VERDICT_COLOURS.allowed +
      '"];',
  );
  lines.push(
    '    legend_b1 -> legend_b2 [label="blocked", color="' +
      VERDICT_COLOURS.blocked +
      '", fontcolor="' +
      VERDICT_COLOURS.blocked +
      '", style="dashed"];',
  );
  lines.push('  }');
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** How many nodes and edges the DOT draws, the legend's included (4 points, 2 edges). */
export function drawnCounts(graph: FlowGraph): { nodes: number; edges: number } {
  let nodes = graph.addresses.length + 4;
  for (const members of graph.namespaces.values()) nodes += members.length;
  return { nodes, edges: graph.edges.length + 2 };
}
