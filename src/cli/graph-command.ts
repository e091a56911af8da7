/**
 * `netpol graph --flows FILE [--state FILE] [-n NS] [-o FILE] [--format png|svg|dot]`: the picture
 * `/netpol graph` posts in Slack, from an observed-flows file. The graph model and its DOT are the
 * core's (core/graph/flow-graph.ts); the layout and the PNG the graph adapter's, whose libraries
 * (Graphviz in WebAssembly, resvg's native addon) are loaded only here, and only for svg or png:
 * the CLI bundle keeps them outside cli.js (scripts/build-cli.mjs).
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { NetpolError } from '../core/errors';
import { buildFlowGraph, flowGraphDot } from '../core/graph/flow-graph';
import { loadFlowsFile } from '../adapters/files/flows-file';
import type { GraphFormat } from '../adapters/graph/render-png';
import type { CliIo } from './cli-io';
import { CLUSTER_OPTIONS, loadCommandState } from './live-state';
import { parseOptions, requireOption } from './options';

const FORMATS: readonly GraphFormat[] = ['png', 'svg', 'dot'];
const EXTENSIONS: Readonly<Record<string, GraphFormat>> = {
  '.png': 'png',
  '.svg': 'svg',
  '.dot': 'dot',
  '.gv': 'dot',
};

function formatOf(given: string | undefined, output: string | undefined): GraphFormat {
  if (given !== undefined) {
    if ((FORMATS as readonly string[]).includes(given)) return given as GraphFormat;
    throw new NetpolError('E_USAGE', `--format "${given}" is not one of ${FORMATS.join(', ')}`);
  }
  const ext = output === undefined ? '' : extname(output).toLowerCase();
  return Object.prototype.hasOwnProperty.call(EXTENSIONS, ext) ? EXTENSIONS[ext]! : 'png';
}

export async function graphCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      ...CLUSTER_OPTIONS,
      flows: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
    },
    1,
  );
  if (positionals[0] !== undefined && values.namespace !== undefined && positionals[0] !== values.namespace) {
    throw new NetpolError(
      'E_USAGE',
      `graph ${positionals[0]} and -n ${values.namespace} name two namespaces`,
      {
        hint: 'give one',
      },
    );
  }
  const namespace = positionals[0] ?? values.namespace;
  const flowsPath = requireOption(values.flows, '--flows');
  const format = formatOf(values.format, values.output);
  if (format === 'png' && values.output === undefined) {
    throw new NetpolError('E_USAGE', 'a PNG needs a file: -o graph.png', {
      hint: 'or --format svg|dot to print it',
    });
  }
  const file = await loadFlowsFile(flowsPath);
  // The cluster only adds workloads that had no flows: read it when one is named, never by default.
  const wantsCluster =
    values.state !== undefined || values.kubeconfig !== undefined || values.context !== undefined;
  const pods = wantsCluster ? (await loadCommandState(values, io)).state.pods : undefined;

  const graph = buildFlowGraph(file.flows, {
    ...(namespace === undefined ? {} : { namespace }),
    ...(pods === undefined ? {} : { pods }),
  });
  if (namespace !== undefined && graph.namespaces.get(namespace) === undefined) {
    io.stderr(
      `netpol: no flows to or from namespace ${namespace} in ${flowsPath}${pods ? ' and no workloads in the cluster' : ''}\n`,
    );
  }
  const dot = flowGraphDot(graph);
  const bytes =
    format === 'dot'
      ? Buffer.from(dot, 'utf8')
      : await (await import('../adapters/graph/render-png')).renderGraph(dot, format);

  let workloads = 0;
  for (const members of graph.namespaces.values()) workloads += members.length;
  const blocked = graph.edges.filter((e) => e.verdict === 'blocked').length;
  const summary = `${workloads} workloads, ${graph.addresses.length} outside addresses, ${graph.edges.length - blocked} allowed and ${blocked} blocked edges`;
  if (values.output === undefined) {
    io.stdout(bytes.toString('utf8'));
    io.stderr(`netpol: ${summary}\n`);
    return 0;
  }
  try {
    await writeFile(values.output, bytes);
  } catch (error) {
    throw new NetpolError('E_USAGE', `cannot write ${values.output}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  io.stderr(`netpol: ${summary} -> ${values.output} (${format}, ${bytes.length} bytes)\n`);
  return 0;
}
