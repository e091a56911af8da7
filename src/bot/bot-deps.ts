/**
 * What the bot needs from the outside world, injected (build apart from listen): tests pass real
 * Redis-backed implementations pointed at a test Redis, and a fake clock where time matters.
 */
import type { Logger } from 'pino';
import type { ClusterSnapshot } from '../adapters/redis/cluster-cache';
import type { BotConfig } from '../platform/config/config';
import type { ApplyJob, SlackOutboundJob } from '../contracts/queues';
import type { RequestStoreApi } from '../adapters/redis/request-store-api';
import type { GroupMembers } from './authorize';
import type { DraftStore } from '../adapters/redis/draft-store';
import type { RequestYaml } from '../contracts/request-yaml';
import type { Heartbeat } from '../contracts/heartbeat';
import type { StatusReport } from '../adapters/redis/heartbeat-status';
import type { AlertStore } from '../adapters/redis/alert-store';
import type { MuteStore } from '../adapters/redis/mute-store';
import type { FlowStore } from '../adapters/redis/flow-store';
import type { SuggestionStore } from '../adapters/redis/flow-store-suggestions';

export interface BotQueues {
  /** Enqueue the apply job (idempotent job id) on the cluster's apply queue. */
  enqueueApply(job: ApplyJob): Promise<void>;
  /** A delayed job that expires the request when it is due. */
  scheduleExpiry(requestId: string, delayMs: number): Promise<void>;
}

export interface BotDeps {
  config: BotConfig;
  store: RequestStoreApi;
  drafts: DraftStore;
  clusters: { read(cluster: string): Promise<ClusterSnapshot | undefined> };
  outbox: { send(job: SlackOutboundJob, options?: { jobId?: string }): Promise<void> };
  queues: BotQueues;
  groupMembers: GroupMembers;
  clock: () => Date;
  newRequestId: () => string;
  log: Logger;
  /** Renders a request's YAML once and checks the stored text (default: this process's, processRequestYaml). */
  requestYaml?: RequestYaml;
  /** How long a handler waits on Redis before telling the person it did not answer (default 5 s). */
  redisDeadlineMs?: number;
  /** Drop alerts (issue 10): Request allow reads them, mute/unmute write the mutes. */
  alerts?: { records: Pick<AlertStore, 'get'>; mutes: Pick<MuteStore, 'mute' | 'unmute' | 'active'> };
  /**
   * Observed flows (issue 10): `/netpol suggest` and `/netpol graph` read them (cut off at the
   * retention the agents saved with them), suggest keeps what it showed.
   */
  suggest?: {
    flows: Pick<FlowStore, 'list' | 'listWithRetention'>;
    suggestions: Pick<SuggestionStore, 'put' | 'get' | 'use'>;
    /**
     * The agents' default NETPOL_FLOW_RETENTION: named (as a default) when no agent of the cluster
     * has saved its retention with the flows.
     */
    defaultRetentionMs: number;
  };
  /** The workers' and agents' heartbeats (issue 11); without them no liveness is shown. */
  heartbeats?: { list(cluster?: string): Promise<Heartbeat[]> };
  /** `/netpol status`'s report (adapters/redis/heartbeat-status.ts). */
  status?: { read(): Promise<StatusReport> };
}
