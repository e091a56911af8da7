/** `netpol explain`: whether one connection is allowed, and which policy and rule decide each side. */
import { buildPolicyIndex, evaluateConnection } from '../core/evaluator';
import { renderVerdict } from '../core/query/render-verdict';
import { loadStateFile } from '../adapters/files/state-file';
import type { CliIo } from './cli-io';
import { parseEndpointArg, parseProtocolArg, resolvePortArg } from './endpoints';
import { parseOptions, requireOption } from './options';

export async function explainCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseOptions(
    args,
    {
      state: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      port: { type: 'string' },
      protocol: { type: 'string' },
    },
    0,
  );
  const state = await loadStateFile(requireOption(values.state, '--state'));
  const index = buildPolicyIndex(state);
  const src = parseEndpointArg(state, index, requireOption(values.from, '--from'), '--from');
  const dst = parseEndpointArg(state, index, requireOption(values.to, '--to'), '--to');
  const { port, protocol } = resolvePortArg(
    requireOption(values.port, '--port'),
    dst,
    parseProtocolArg(values.protocol),
  );
  io.stdout(renderVerdict(evaluateConnection(index, src, dst, port, protocol), port, protocol));
  return 0;
}
