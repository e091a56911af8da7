/**
 * The bot process, wired: Redis (request store, drafts, cluster cache), the queues it produces
 * (apply per cluster, expiry), the Slack outbound worker (every post and edit, paced per channel),
 * the expiry worker, and the Bolt app. main.ts calls this with the loaded config; end-to-end tests
 * call it with stand-ins' URLs. Holds no Kubernetes credentials.
 */
import { Worker } from 'bullmq';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { ClusterCache } from '../adapters/redis/cluster-cache';
import type { BotConfig } from '../platform/config/config';
import { EXPIRY_QUEUE, type ExpiryJob } from '../contracts/queues';
import { newRequestId } from '../contracts/request-id';
import { RequestStore } from '../adapters/redis/request-store';
import {
  createSlackWebClient,
  pinoSlackLogger,
  SlackOutbox,
  startSlackOutboundWorker,
} from '../adapters/slack/outbound';
import { approvalCardSync } from './approval-card';
import { ApprovalThread } from './approval-thread';
import { cachedGroupMembers } from './authorize';
import { BullBotQueues } from './bot-queues';
import { buildBot, type BuiltBot } from './build-bot';
import { DraftStore } from '../adapters/redis/draft-store';
import { AlertStore } from '../adapters/redis/alert-store';
import { MuteStore } from '../adapters/redis/mute-store';
import { DEFAULT_FLOW_RETENTION_MS, FlowStore } from '../adapters/redis/flow-store';
import { SuggestionStore } from '../adapters/redis/flow-store-suggestions';
import { startMetricsServer } from '../platform/metrics-server';
import { HeartbeatStore } from '../adapters/redis/heartbeat-store';
import { readStatus } from '../adapters/redis/heartbeat-status';
import { livenessReader } from './status-liveness';
import { startWaitingCardWatch } from './status-watch';
import { BotMetrics } from './metrics';

export interface BotProcessOptions {
  log: Logger;
  /** How often approved requests' cards are checked for a silent worker (status-watch.ts; 15 s). */
  waitingCardIntervalMs?: number;
  clock?: () => Date;
  /** HTTP mode: where to listen (default: the config's PORT and HOST). */
  port?: number;
  host?: string;
  /** Spacing of messages to one channel (Slack: ~1 s). */
  perChannelIntervalMs?: number;
  /** How long a click or command waits on Redis before telling the person (default 5 s). */
  redisDeadlineMs?: number;
  /** Node.js process metrics on /metrics too (default true; tests turn it off). */
  processMetrics?: boolean;
}

export interface BotProcess {
  bot: BuiltBot;
  port?: number;
  /** Where /metrics listens (when config.metrics is set). */
  metricsPort?: number;
  close(): Promise<void>;
}

export async function startBotProcess(config: BotConfig, options: BotProcessOptions): Promise<BotProcess> {
  const { log } = options;
  const clock = options.clock ?? (() => new Date());
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  redis.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
  const store = new RequestStore(redis, { prefix: config.prefix });
  const outbox = new SlackOutbox({ connection: redis, prefix: config.prefix, log });
  const queues = new BullBotQueues(redis, config.prefix);
  const clusters = new ClusterCache(redis, config.prefix);
  // Issue 11: the workers' and agents' heartbeats, for /netpol status and the cards' notes.
  const heartbeats = new HeartbeatStore(redis, { prefix: config.prefix, clock });
  const liveness = livenessReader({ heartbeats, clusters, clock });
  const metrics = new BotMetrics({
    store,
    clusters,
    clusterNames: config.clusters,
    connection: redis,
    prefix: config.prefix,
    clock,
    log,
    ...(options.processMetrics === undefined ? {} : { processMetrics: options.processMetrics }),
  });
  const client = createSlackWebClient({
    token: config.slack.botToken,
    ...(config.slack.apiUrl === undefined ? {} : { apiUrl: config.slack.apiUrl }),
    logger: pinoSlackLogger(log),
  });
  const groupMembers = cachedGroupMembers(
    async (usergroup) => (await client.usergroups.users.list({ usergroup })).users ?? [],
    60_000,
    () => clock().getTime(),
  );
  // Drop alerts (issue 10): Request allow reads them; where each message landed is recorded here.
  const alertStore = new AlertStore(redis, { prefix: config.prefix });
  const bot = buildBot({
    config,
    store,
    drafts: new DraftStore(redis, config.prefix),
    clusters,
    outbox,
    queues,
    groupMembers,
    clock,
    newRequestId,
    log: log.child({ component: 'bot' }),
    alerts: { records: alertStore, mutes: new MuteStore(redis, config.prefix) },
    // Observed flows (issue 10) for /netpol suggest and graph: the agents save their retention with
    // the flows; their default is what the bot can say when none has.
    suggest: {
      flows: new FlowStore(redis, config.prefix),
      suggestions: new SuggestionStore(redis, config.prefix),
      defaultRetentionMs: DEFAULT_FLOW_RETENTION_MS,
    },
    heartbeats,
    status: { read: () => readStatus({ redis, prefix: config.prefix, clusters: config.clusters, clock }) },
    ...(options.redisDeadlineMs === undefined ? {} : { redisDeadlineMs: options.redisDeadlineMs }),
  });
  const cards = approvalCardSync({ store, outbox, clock, liveness });
  const waitingCards = startWaitingCardWatch({
    clusters: config.clusters,
    store,
    outbox,
    liveness,
    clock,
    intervalMs: options.waitingCardIntervalMs ?? 15_000,
    log: log.child({ component: 'waiting-cards' }),
  });
  const thread = new ApprovalThread({
    store,
    outbox,
    clock,
    log: log.child({ component: 'approval-thread' }),
  });
  const outbound = startSlackOutboundWorker({
    connection: redis,
    prefix: config.prefix,
    outbox,
    client,
    log,
    onCall: metrics.slackCall,
    ...(options.perChannelIntervalMs === undefined
      ? {}
      : { perChannelIntervalMs: options.perChannelIntervalMs }),
    // Cards follow their request's current state (approval-card.ts): rendered at delivery, and
    // caught up once posted if the request was decided before the card's ts was recorded.
    currentCard: cards.currentCard,
    // Then a card too large for its YAML gets the full YAML in its thread, then its buttons
    // (approval-thread.ts).
    onPosted: async (job, delivered) => {
      await cards.onPosted(job, delivered);
      await thread.afterPosted(job, delivered);
      // A drop alert's message landed: its next update may go (alert-store.ts).
      if (job.kind !== 'ephemeral' && job.alert !== undefined)
        await alertStore.delivered(job.alert, delivered);
    },
  });
  const expiry = new Worker<ExpiryJob>(EXPIRY_QUEUE, async (job) => bot.service.expire(job.data.requestId), {
    connection: redis,
    prefix: config.prefix,
  });
  expiry.on('error', (err) => log.warn({ err }, 'expiry worker error'));
  const started = await bot.start({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.host === undefined ? {} : { host: options.host }),
  });
  const metricsServer =
    config.metrics === undefined
      ? undefined
      : await startMetricsServer({ ...config.metrics, metrics: metrics.endpoint });
  log.info(
    {
      mode: config.slack.mode,
      port: started.port,
      metricsPort: metricsServer?.port,
      clusters: config.clusters,
    },
    'bot started',
  );
  return {
    bot,
    ...(started.port === undefined ? {} : { port: started.port }),
    ...(metricsServer === undefined ? {} : { metricsPort: metricsServer.port }),
    async close() {
      await waitingCards.stop();
      await metricsServer?.close();
      await bot.stop().catch(() => undefined);
      await expiry.close();
      await outbound.close();
      await outbox.close();
      await queues.close();
      await metrics.close();
      redis.disconnect();
    },
  };
}
