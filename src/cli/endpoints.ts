/**
 * Command-line endpoints for `explain`: `NS/POD` (a pod by name) or an IP address. A pod's IP means
 * that pod, as on the wire.
 */
import { NetpolError } from '../core/errors';
import { ipProblem } from '../core/k8s/cidr';
import type { Protocol } from '../core/k8s/types';
import { endpointForIp, type PolicyIndex, type TrafficEndpoint } from '../core/evaluator';
import { closest } from '../core/request/suggest';
import type { ClusterState } from '../core/state/cluster-state';

export function parseEndpointArg(
  state: ClusterState,
  index: PolicyIndex,
  value: string,
  flag: string,
): TrafficEndpoint {
  if (ipProblem(value) === undefined) return endpointForIp(index, value);
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) {
    throw new NetpolError('E_USAGE', `${flag} "${value}" is neither NAMESPACE/POD nor an IP address`, {
      hint: `e.g. ${flag} frontend/nginx or ${flag} 203.0.113.7`,
    });
  }
  const namespace = value.slice(0, slash);
  const name = value.slice(slash + 1);
  if (!state.namespaces.some((n) => n.name === namespace)) {
    const suggestion = closest(
      namespace,
      state.namespaces.map((n) => n.name),
    );
    throw new NetpolError('E_UNKNOWN_NAMESPACE', `${flag}: no namespace "${namespace}" in the state`, {
      ...(suggestion === undefined ? {} : { hint: `did you mean "${suggestion}"?` }),
    });
  }
  const pod = state.pods.find((p) => p.namespace === namespace && p.name === name);
  if (pod === undefined) {
    const suggestion = closest(
      name,
      state.pods.filter((p) => p.namespace === namespace).map((p) => p.name),
    );
    throw new NetpolError('E_UNKNOWN_ENDPOINT', `${flag}: no pod "${name}" in namespace ${namespace}`, {
      ...(suggestion === undefined ? {} : { hint: `did you mean "${namespace}/${suggestion}"?` }),
    });
  }
  return { kind: 'pod', pod };
}

export function parseProtocolArg(value: string | undefined): Protocol | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (upper === 'TCP' || upper === 'UDP' || upper === 'SCTP') return upper;
  throw new NetpolError('E_USAGE', `--protocol "${value}" is not TCP, UDP or SCTP`);
}

/** A port number, or a container port name looked up on the destination pod (as NetworkPolicy does). */
export function resolvePortArg(
  value: string,
  destination: TrafficEndpoint,
  protocol: Protocol | undefined,
): { port: number; protocol: Protocol } {
  if (/^[0-9]+$/.test(value)) {
    const port = Number(value);
    if (port < 1 || port > 65535)
      throw new NetpolError('E_USAGE', `--port ${value} is not a port from 1 to 65535`);
    return { port, protocol: protocol ?? 'TCP' };
  }
  if (destination.kind !== 'pod') {
    throw new NetpolError(
      'E_USAGE',
      `--port "${value}" is a port name, and names resolve only on a destination pod, not on ${destination.ip}`,
    );
  }
  const pod = destination.pod;
  const matches = pod.ports.filter(
    (p) => p.name === value && (protocol === undefined || p.protocol === protocol),
  );
  const match = matches[0];
  if (match === undefined) {
    const names = pod.ports
      .filter((p) => p.name !== undefined)
      .map((p) => `${p.name} (${p.protocol}/${p.containerPort})`);
    throw new NetpolError(
      'E_UNKNOWN_ENDPOINT',
      `pod ${pod.namespace}/${pod.name} has no container port named "${value}"${protocol === undefined ? '' : ` over ${protocol}`}`,
      {
        hint:
          names.length === 0
            ? 'it declares no named ports; give a number'
            : `its named ports: ${names.join(', ')}`,
      },
    );
  }
  return { port: match.containerPort, protocol: match.protocol };
}
