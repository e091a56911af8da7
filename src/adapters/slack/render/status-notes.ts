/**
 * What previews and approval cards say about a cluster whose worker is silent (issue 11): how old
 * the snapshot they were computed from is, and, on an approved request's card, which worker it is
 * waiting for and when that worker was last seen. Nothing when a worker is alive: the usual case
 * reads as it always did. Pure: `now` is an ISO string.
 */
import type { ClusterLiveness } from '../../../contracts/heartbeat';
import { clusterName } from './parts';
import { escapeMrkdwn, formatDuration } from './mrkdwn';

/** `12 s ago`, `4 min ago`, `2 h 5 min ago` (`suffix` replaces `ago`; '' for a bare duration). */
export function ago(iso: string, nowIso: string, suffix = 'ago'): string {
  const ms = Math.max(0, Date.parse(nowIso) - Date.parse(iso));
  const span = Number.isNaN(ms)
    ? 'an unknown time'
    : ms < 60_000
      ? `${Math.floor(ms / 1000)} s`
      : formatDuration(ms);
  return suffix === '' ? span : `${span} ${suffix}`;
}

function lastSeen(liveness: ClusterLiveness, now: string): string {
  const last = liveness.lastWorker;
  if (last === undefined) return 'no worker has reported in the last hour';
  return `last seen ${ago(last.at, now)}${last.stoppedAt === undefined ? '' : ' (stopped)'}`;
}

/** The snapshot's age when no worker of the cluster is alive; undefined otherwise. */
export function staleSnapshotNote(liveness: ClusterLiveness | undefined, now: string): string | undefined {
  if (liveness === undefined || liveness.workerAlive) return undefined;
  const age = liveness.snapshotAsOf === undefined ? 'of unknown age' : ago(liveness.snapshotAsOf, now, 'old');
  return (
    `:warning: The snapshot of cluster ${clusterName(liveness.cluster)} this was computed from is ${age}: ` +
    `its worker is silent, ${lastSeen(liveness, now)}.`
  );
}

/** For a request approved but not applied: the worker it waits for, when silent; undefined otherwise. */
export function waitingForWorkerNote(liveness: ClusterLiveness | undefined, now: string): string | undefined {
  if (liveness === undefined || liveness.workerAlive) return undefined;
  return `:warning: Waiting for the ${escapeMrkdwn(liveness.cluster)} worker, ${lastSeen(liveness, now)}`;
}
