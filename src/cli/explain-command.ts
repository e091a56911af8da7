/**
 * `netpol explain`: whether one connection is allowed, and which policy and rule decide each side, in
 * a state file or the live cluster (live-state.ts). With -n (or a live context's namespace), a bare
 * pod name means a pod of that namespace, as kubectl reads it. Policies in audit mode decide
 * nothing; a verdict they would turn once enforced says so, as `/netpol explain` does (probe-verdict.ts).
 */
import { buildPolicyIndex } from '../core/evaluator';
import { auditedIndex, probeVerdict, renderProbedVerdict } from '../core/query/probe-verdict';
import { ipProblem } from '../core/k8s/cidr';
import type { CliIo } from './cli-io';
import { parseEndpointArg, parseProtocolArg, resolvePortArg } from './endpoints';
import { CLUSTER_OPTIONS, loadCommandState } from './live-state';
import { parseOptions, requireOption } from './options';

export async function explainCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseOptions(
    args,
    {
      ...CLUSTER_OPTIONS,
      namespace: { type: 'string', short: 'n' },
      from: { type: 'string' },
      to: { type: 'string' },
      port: { type: 'string' },
      protocol: { type: 'string' },
    },
    0,
  );
  const from = requireOption(values.from, '--from');
  const to = requireOption(values.to, '--to');
  const { state, contextNamespace } = await loadCommandState(values, io);
  const namespace = values.namespace ?? contextNamespace;
  const index = buildPolicyIndex(state);
  const src = parseEndpointArg(state, index, inNamespace(from, namespace), '--from');
  const dst = parseEndpointArg(state, index, inNamespace(to, namespace), '--to');
  const { port, protocol } = resolvePortArg(
    requireOption(values.port, '--port'),
    dst,
    parseProtocolArg(values.protocol),
  );
  io.stdout(renderProbedVerdict(probeVerdict(index, auditedIndex(state), { src, dst, port, protocol })));
  return 0;
}

/** `nginx` with -n frontend is `frontend/nginx`; `NS/POD` and addresses stay as they are. */
function inNamespace(value: string, namespace: string | undefined): string {
  if (namespace === undefined || value.includes('/') || ipProblem(value) === undefined) return value;
  return `${namespace}/${value}`;
}
