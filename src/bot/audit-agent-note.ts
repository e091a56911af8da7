/**
 * The preview's note for a request in audit mode (issue 10) on a cluster where no netpol node agent
 * reports: audit mode is the agents' (they pass what the policies would drop and report it), so
 * without them nothing reports would-be drops, and a CNI that enforces NetworkPolicies itself
 * ignores the annotation and enforces the policies as soon as they are applied. Pure: the caller
 * reads the heartbeats; with none read (a bot without heartbeats) nothing is said.
 */
import { isSilent, type Heartbeat } from '../contracts/heartbeat';
import { isAuditPolicy } from '../core/k8s/audit-mode';
import type { NetworkPolicy } from '../core/k8s/types';

export function auditAgentNote(options: {
  cluster: string;
  policies: readonly NetworkPolicy[];
  /** The cluster's heartbeats; undefined when this bot reads none. */
  beats: readonly Heartbeat[] | undefined;
  now: Date;
}): string | undefined {
  const { cluster, policies, beats, now } = options;
  if (beats === undefined || !policies.some(isAuditPolicy)) return undefined;
  const agents = beats.filter((beat) => beat.cluster === cluster && beat.kind === 'agent');
  if (agents.some((beat) => !isSilent(beat, now))) return undefined;
  return (
    `no netpol node agent reports on cluster ${cluster}${agents.length > 0 ? ' now' : ''}: audit mode needs them ` +
    '(Helm: agent.enabled=true). Without them nothing reports what these policies would block, and a CNI ' +
    'that enforces NetworkPolicies itself ignores netpol.io/audit and enforces them once applied'
  );
}
