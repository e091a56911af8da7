/**
 * `/netpol graph <namespace>` (issue 10): a picture of the namespace's observed flows (the agents'
 * flow store, the same one `/netpol suggest` reads), workloads as nodes, allowed flows in green and
 * blocked ones in red, shared in the channel as a PNG through the one outbound path (a post with a
 * file: Slack's external upload, paced and 429-aware like every message). The graph and its DOT are
 * the core's (core/graph), the layout and the PNG the graph adapter's: Graphviz and resvg are loaded
 * on the first graph, never by a bot that draws none. Workloads of the namespace with no flows come
 * from the workers' snapshot when there is one. `/netpol suggest` shares the same picture
 * (shareFlowGraph) beside its suggestion. The flows drawn reach back as far as the agents keep them
 * (their NETPOL_FLOW_RETENTION, which the flow store saves with the flows and cuts its reads at),
 * not a fixed window of the bot's.
 */
import type { ObservedFlow } from '../contracts/observed-flows';
import { NetpolError } from '../core/errors';
import { buildFlowGraph, flowGraphDot } from '../core/graph/flow-graph';
import { dns1123LabelProblem } from '../core/k8s/names';
import { graphComment, renderGraphReply, type GraphCounts } from '../adapters/slack/render/graph';
import type { SlackMessage } from '../adapters/slack/render';
import { requireReader } from './authorize';
import type { BotContext, CommandInput } from './bot-context';

export async function graphCommand(
  input: CommandInput,
  cluster: string,
  rest: string,
  ctx: BotContext,
): Promise<SlackMessage[]> {
  await requireReader(ctx.deps.config, ctx.deps.groupMembers, input);
  const namespace = rest.trim();
  const problem = dns1123LabelProblem(namespace);
  if (problem !== undefined) {
    throw new NetpolError(
      'E_USAGE',
      namespace === '' ? 'graph needs a namespace' : `"${namespace}" is not a namespace name: it ${problem}`,
      { hint: 'e.g. /netpol graph backend' },
    );
  }
  const flows = ctx.deps.suggest?.flows;
  if (flows === undefined)
    throw new NetpolError('E_UNSUPPORTED', 'observed flows are not set up for this bot');
  const seen = await flows.list(cluster, namespace, ctx.now());
  const counts = await shareFlowGraph(
    ctx,
    { cluster, namespace, user: input.user, channel: input.channel },
    seen,
  );
  const reply = { cluster, user: input.user, namespace, counts: counts ?? NOTHING };
  return [renderGraphReply(reply)];
}

const NOTHING: GraphCounts = { workloads: 0, addresses: 0, allowed: 0, blocked: 0 };

export interface GraphTarget {
  readonly cluster: string;
  readonly namespace: string;
  /** Who asked (named in the comment). */
  readonly user: string;
  /** Where the picture is shared. */
  readonly channel: string;
}

/**
 * Draws `seen` (the namespace's observed flows, already read) and shares the PNG in the target's
 * channel through the outbound queue. `/netpol graph` and `/netpol suggest` both show it this way.
 * Returns what was drawn, or undefined when there was nothing to draw (no flows, no workloads):
 * then nothing is posted.
 */
export async function shareFlowGraph(
  ctx: BotContext,
  target: GraphTarget,
  seen: readonly ObservedFlow[],
): Promise<GraphCounts | undefined> {
  const { cluster, namespace } = target;
  const state = await ctx.state(cluster, false);
  const graph = buildFlowGraph(seen, {
    namespace,
    ...(state === undefined ? {} : { pods: state.pods }),
    title: `observed flows in ${namespace} (cluster ${cluster})`,
  });
  let workloads = 0;
  for (const members of graph.namespaces.values()) workloads += members.length;
  const blocked = graph.edges.filter((e) => e.verdict === 'blocked').length;
  const counts: GraphCounts = {
    workloads,
    addresses: graph.addresses.length,
    allowed: graph.edges.length - blocked,
    blocked,
  };
  if (seen.length === 0 && workloads === 0) return undefined;

  const { renderGraph } = await import('../adapters/graph/render-png');
  const png = await renderGraph(flowGraphDot(graph), 'png');
  await ctx.deps.outbox.send({
    kind: 'post',
    channel: target.channel,
    text: graphComment({ cluster, user: target.user, namespace, counts }),
    file: {
      contentBase64: png.toString('base64'),
      filename: `netpol-graph-${cluster}-${namespace}.png`,
      title: `Observed flows in ${namespace} (${cluster})`,
    },
  });
  return counts;
}
