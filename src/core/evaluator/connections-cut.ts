/**
 * The in-cluster connections a change stops: allowed under one index, refused under the other, for
 * the pods whose isolation the change touched. Ports probed are what each destination pod declares
 * (policies match pod ports), or the conventional TCP/80 for pods that declare none. Shared by the
 * W001 warning and the effect sentence, so both count the same way.
 */
import type { Protocol } from '../k8s/types';
import type { PodInfo } from '../state/cluster-state';
import { evaluateConnection } from './connection';
import type { PolicyIndex } from './policy-index';

export function probePorts(pod: PodInfo): { port: number; protocol: Protocol }[] {
  const declared = pod.ports.map((p) => ({ port: p.containerPort, protocol: p.protocol }));
  return declared.length > 0 ? declared : [{ port: 80, protocol: 'TCP' }];
}

/** "src -> dst PROTO/port" for each connection allowed by `before` and refused by `after`, deduplicated. */
export function connectionsCut(
  before: PolicyIndex,
  after: PolicyIndex,
  pods: readonly PodInfo[],
  changed: readonly { pod: PodInfo; direction: 'Ingress' | 'Egress' }[],
): string[] {
  const cut = new Set<string>();
  for (const { pod, direction } of changed) {
    for (const other of pods) {
      if (other.namespace === pod.namespace && other.name === pod.name) continue;
      const [src, dst] = direction === 'Ingress' ? [other, pod] : [pod, other];
      const s = { kind: 'pod' as const, pod: src };
      const d = { kind: 'pod' as const, pod: dst };
      for (const { port, protocol } of probePorts(dst)) {
        if (
          evaluateConnection(before, s, d, port, protocol).allowed &&
          !evaluateConnection(after, s, d, port, protocol).allowed
        ) {
          cut.add(`${src.namespace}/${src.name} -> ${dst.namespace}/${dst.name} ${protocol}/${port}`);
        }
      }
    }
  }
  return [...cut];
}
