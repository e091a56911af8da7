/**
 * `netpol matrix`: every pod to every pod on one port, of a state file or the live cluster
 * (live-state.ts). Table for people; JSON and JSON lines are streamed chunk by chunk through
 * CliIo.writeStdout, which waits for the stream to drain, so a 10,000-pod matrix needs the memory of
 * one row, not of 100 million pairs.
 */
import { NetpolError } from '../core/errors';
import { buildPolicyIndex, computeMatrix } from '../core/evaluator';
import { renderMatrixTable } from '../core/query/render-matrix';
import type { CliIo } from './cli-io';
import { parseProtocolArg } from './endpoints';
import { matrixJsonChunks, matrixJsonLines } from './matrix-output';
import { CLUSTER_OPTIONS, loadCommandState } from './live-state';
import { outputOption, parseOptions } from './options';

export async function matrixCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseOptions(
    args,
    {
      ...CLUSTER_OPTIONS,
      port: { type: 'string' },
      protocol: { type: 'string' },
      output: { type: 'string' },
    },
    0,
  );
  const format = outputOption(values.output, ['table', 'json', 'jsonl'] as const, 'table');
  const protocol = parseProtocolArg(values.protocol) ?? 'TCP';
  const portText = values.port ?? '80';
  if (!/^[0-9]+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new NetpolError('E_USAGE', `--port "${portText}" is not a port number from 1 to 65535`, {
      hint: 'the matrix covers every pod, so a port name (which resolves per pod) cannot be used here',
    });
  }
  const port = Number(portText);
  const { state } = await loadCommandState(values, io);
  const matrix = computeMatrix(buildPolicyIndex(state), { port, protocol });
  if (format === 'table') {
    io.stdout(renderMatrixTable(matrix, `reachability on ${protocol}/${port}`));
    return 0;
  }
  // Each chunk is written, and waited for, before the next is made: the JSON's chunks reuse one buffer.
  const write = io.writeStdout ?? writeThroughStdout(io);
  for (const chunk of format === 'json' ? matrixJsonChunks(matrix) : matrixJsonLines(matrix)) {
    await write(chunk);
  }
  return 0;
}

/** Without a byte stream (in-process callers), chunks go to io.stdout as text. */
function writeThroughStdout(io: CliIo): (chunk: string | Uint8Array) => Promise<void> {
  const decoder = new TextDecoder();
  return (chunk) => {
    // A chunk may end inside a character: the decoder keeps the rest for the next one.
    io.stdout(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    return Promise.resolve();
  };
}
