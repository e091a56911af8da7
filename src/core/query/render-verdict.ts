/** A connection verdict as a few lines a person reads top-down: the answer, then each side's reason. */
import type { ConnectionVerdict } from '../evaluator';
import type { Protocol } from '../k8s/types';

export function renderVerdict(verdict: ConnectionVerdict, port: number, protocol: Protocol): string {
  const head = `${verdict.egress.endpoint} -> ${verdict.ingress.endpoint} on ${protocol}/${port}: ${verdict.allowed ? 'ALLOWED' : 'DENIED'}`;
  if (verdict.self) return `${head}\n  a pod's traffic to itself never leaves it: always allowed\n`;
  const side = (label: string, s: ConnectionVerdict['egress']) =>
    `  ${label.padEnd(7)} ${s.allowed ? 'allow' : 'DENY '}  ${s.reason}`;
  return `${head}\n${side('egress', verdict.egress)}\n${side('ingress', verdict.ingress)}\n`;
}
