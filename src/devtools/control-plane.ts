/**
 * The whole control plane on loopback, for end-to-end tests: a real redis-server, the Slack Web API
 * stand-in, the Kubernetes API stand-in, the real bot process and a real policy worker. The bot
 * listens on Bolt's HTTP receiver (driven with requests signed exactly as Slack signs them) or, with
 * `transport: 'socket'`, connects in Socket Mode to the Socket Mode stand-in; `slash` and `click`
 * drive either the same way (slack-app-transport.ts). Nothing of ours is mocked. Each call of
 * startControlPlane() has its own ports, Redis and key prefix.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { BotConfig, WorkerConfig } from '../platform/config/config';
import { ClusterCache } from '../adapters/redis/cluster-cache';
import { dropEventFields, dropStreamKey, type DropEvent } from '../contracts/drop-events';
import type { ClusterState } from '../core/state/cluster-state';
import { DEFAULT_KEYWORD_OPTIONS } from '../core/policy/keywords';
import { DEFAULT_LABEL_KEYS } from '../core/request/resolve-request';
import { startBotProcess, type BotProcess } from '../bot/run-bot';
import { startPolicyWorker } from '../workers/run-worker';
import Redis from 'ioredis';
import { startKubeApiStandIn, type KubeApiStandIn } from './kube-api';
import { startRedis, type TestRedis } from './redis/redis-server';
import {
  httpTransport,
  socketModeTransport,
  type AppAck,
  type SlackAppTransport,
  type SlackTransportKind,
} from './slack/slack-app-transport';
import { TEST_BOT, TEST_SIGNING_SECRET } from './slack/slack-test-identity';
import { SlackWebApiStandIn, type ResponseUrlPost } from './slack/slack-web-api-stand-in';
import { SocketModeStandIn, TEST_APP_TOKEN } from './slack/socket-mode-stand-in';

export const APPROVAL_CHANNEL = 'C0APPROVALS';
export const REQUEST_CHANNEL = 'C0NETPOLOPS';
export const ALICE = 'U0ALICE001';
export const BOB = 'U0BOB00002';
export const CAROL = 'U0CAROL003';
export const MALLORY = 'U0MALLORY4';
export const SRE_GROUP = 'S0SRETEAM1';
/** Drop alerts (issue 10): backend's own channel, and the default for every other namespace. */
export const ALERT_CHANNEL = 'C0ALERTS01';
export const BACKEND_ALERT_CHANNEL = 'C0BACKENDA';

const nginxPod = (namespace: string, name: string, ip: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app: 'nginx' } },
  spec: {
    containers: [
      { name: 'nginx', image: 'nginx', ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }] },
    ],
  },
  status: { phase: 'Running', podIP: ip },
});

/** The reference scenario: frontend and backend with an nginx each, default-deny-ingress in backend. */
export const REFERENCE_OBJECTS = {
  namespaces: ['frontend', 'backend'].map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  })),
  pods: [
    nginxPod('frontend', 'nginx-frontend', '10.244.1.10'),
    nginxPod('backend', 'nginx-backend', '10.244.2.20'),
  ],
  networkpolicies: [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny-ingress', namespace: 'backend' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    },
  ],
};

export interface ControlPlaneOptions {
  /**
   * Redis key prefix; default a fresh one. The demo uses `netpol`, the prefix its lab's agent
   * publishes drops under (the plane's Redis is its own either way).
   */
  prefix?: string;
  requestTtlMs?: number;
  clusters?: string[];
  /** How Slack reaches the bot: Bolt's HTTP receiver (default) or Socket Mode. */
  transport?: SlackTransportKind;
  /** How long the bot's handlers wait on Redis before telling the person (default: the bot's 5 s). */
  redisDeadlineMs?: number;
  /**
   * Issue 11: the worker's heartbeat period (silent after three) and how often the bot looks for
   * approved cards waiting on a silent worker. Defaults: the processes' own (10 s, 15 s).
   */
  heartbeatIntervalMs?: number;
  waitingCardIntervalMs?: number;
  /**
   * The drop alerts' aggregation window (default 5 min, windows aligned on the epoch). A lab test
   * that must see ONE message per flow takes a long one, so its drops never straddle a boundary.
   */
  alertWindowMs?: number;
}

export interface ControlPlane {
  redis: TestRedis;
  slack: SlackWebApiStandIn;
  kube: KubeApiStandIn;
  /** The Socket Mode server the bot is connected to (Socket Mode only). */
  socket?: SocketModeStandIn;
  bot: BotProcess;
  config: BotConfig;
  transport: SlackAppTransport;
  /** Bolt's HTTP endpoint; throws over Socket Mode, where the bot listens on no port. */
  readonly eventsUrl: string;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /**
   * Types `/netpol <text>` as `user`; returns the app's ack and the first reply on the response_url.
   * `http` is the same ack (the name predates Socket Mode).
   */
  slash(
    text: string,
    options?: { user?: string; channel?: string },
  ): Promise<{ ack: AppAck; http: AppAck; reply: ResponseUrlPost }>;
  /** Clicks a button of a message (an ephemeral preview when `ephemeral`), as `user`. */
  click(options: {
    actionId: string;
    value: string;
    user: string;
    channel: string;
    messageTs?: string;
    ephemeral?: boolean;
    /** The message's inputs as Slack sends them with the click (e.g. ticked checkboxes). */
    state?: { values: Record<string, unknown> };
  }): Promise<{ ack: AppAck; http: AppAck; responseUrlId: string }>;
  /** The first response_url post made on that id (replies to a click or a command). */
  replyOn(responseUrlId: string, timeoutMs?: number): Promise<ResponseUrlPost>;
  /** The bot's or the running worker's /metrics (each listens on a free loopback port). */
  metricsUrl(process: 'bot' | 'worker'): string;
  /** XADDs drop events to the cluster's stream, as node agents do (issue 10). */
  publishDrops(events: readonly DropEvent[]): Promise<void>;
  /** Waits until the worker's cluster snapshot (what the bot reads) satisfies `predicate`. */
  waitForSnapshot(predicate?: (state: ClusterState) => boolean): Promise<void>;
  close(): Promise<void>;
}

export function buttonValue(blocks: unknown, actionId: string): string {
  const find = (node: unknown): string | undefined => {
    if (Array.isArray(node)) {
      for (const item of node) {
        const hit = find(item);
        if (hit !== undefined) return hit;
      }
      return undefined;
    }
    if (node !== null && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      if (obj.action_id === actionId && typeof obj.value === 'string') return obj.value;
      return find(Object.values(obj));
    }
    return undefined;
  };
  const value = find(blocks);
  if (value === undefined)
    throw new Error(`no ${actionId} button in ${JSON.stringify(blocks).slice(0, 500)}`);
  return value;
}

export function hasButtons(blocks: unknown): boolean {
  return JSON.stringify(blocks ?? []).includes('"type":"button"');
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const prefix = options.prefix ?? `e2e-${randomBytes(4).toString('hex')}`;
  const clusters = options.clusters ?? ['prod'];
  const redis = await startRedis();
  const slack = await SlackWebApiStandIn.start({ usergroups: { [SRE_GROUP]: [CAROL] } });
  const kube = await startKubeApiStandIn({ initial: REFERENCE_OBJECTS });
  const socket = options.transport === 'socket' ? await SocketModeStandIn.start() : undefined;
  if (socket !== undefined) slack.attachSocketMode(socket);
  const log = pino({ level: process.env.NETPOL_TEST_LOG ?? 'silent' });
  const config: BotConfig = {
    slack:
      socket === undefined
        ? {
            mode: 'http',
            botToken: TEST_BOT.token,
            signingSecret: TEST_SIGNING_SECRET,
            apiUrl: slack.apiUrl,
            port: 0,
            host: '127.0.0.1',
          }
        : {
            mode: 'socket',
            botToken: TEST_BOT.token,
            appToken: TEST_APP_TOKEN,
            apiUrl: slack.apiUrl,
            port: 0,
            host: '127.0.0.1',
          },
    redisUrl: redis.url,
    prefix,
    clusters,
    defaultCluster: clusters.length === 1 ? (clusters[0] as string) : '',
    approvalChannel: APPROVAL_CHANNEL,
    approvers: { default: { users: [BOB], groups: [SRE_GROUP] }, namespaces: {} },
    requesters: { channels: [], users: [] },
    readers: { channels: [], users: [], groups: [] },
    requestTtlMs: options.requestTtlMs ?? 86_400_000,
    labelKeys: [...DEFAULT_LABEL_KEYS],
    keywords: DEFAULT_KEYWORD_OPTIONS,
    logLevel: 'silent',
    metrics: { port: 0, host: '127.0.0.1' },
  };
  const workerConfig: WorkerConfig = {
    cluster: clusters[0] as string,
    redisUrl: redis.url,
    prefix,
    fieldManager: 'netpol',
    concurrency: 2,
    logLevel: 'silent',
    metrics: { port: 0, host: '127.0.0.1' },
    alerts: {
      defaultChannel: ALERT_CHANNEL,
      channels: { backend: BACKEND_ALERT_CHANNEL },
      windowMs: options.alertWindowMs ?? 300_000,
    },
  };
  const bot = await startBotProcess(config, {
    log,
    host: '127.0.0.1',
    port: 0,
    perChannelIntervalMs: 10,
    processMetrics: false, // prom-client's GC observer would outlive the test
    ...(options.redisDeadlineMs === undefined ? {} : { redisDeadlineMs: options.redisDeadlineMs }),
    ...(options.waitingCardIntervalMs === undefined
      ? {}
      : { waitingCardIntervalMs: options.waitingCardIntervalMs }),
  });
  const eventsUrl = bot.port === undefined ? undefined : `http://127.0.0.1:${bot.port}/slack/events`;
  const transport =
    socket !== undefined
      ? socketModeTransport(socket)
      : httpTransport(eventsUrl as string, TEST_SIGNING_SECRET);
  let worker: { metricsPort?: number; close(): Promise<void> } | undefined;
  let responseUrlSeq = 0;

  const plane: ControlPlane = {
    redis,
    slack,
    kube,
    ...(socket === undefined ? {} : { socket }),
    bot,
    config,
    transport,
    get eventsUrl(): string {
      if (eventsUrl === undefined) throw new Error('the bot runs in Socket Mode: it has no HTTP endpoint');
      return eventsUrl;
    },
    async startWorker() {
      worker = await startPolicyWorker(workerConfig, {
        kubeConfig: kube.kubeConfig(),
        log,
        processMetrics: false,
        // Drop alerts sent within a tick of being counted (issue 10).
        alertTiming: { flushEveryMs: 50, blockMs: 200 },
        ...(options.heartbeatIntervalMs === undefined
          ? {}
          : { timing: { heartbeatIntervalMs: options.heartbeatIntervalMs } }),
      });
    },
    async stopWorker() {
      await worker?.close();
      worker = undefined;
    },
    async slash(text, { user = ALICE, channel = REQUEST_CHANNEL } = {}) {
      const id = `cmd-${++responseUrlSeq}`;
      const ack = await transport.slash({
        text,
        user_id: user,
        channel_id: channel,
        response_url: slack.responseUrl(id, { channel, user }),
      });
      return { ack, http: ack, reply: await plane.replyOn(id) };
    },
    async click({ actionId, value, user, channel, messageTs, ephemeral, state }) {
      const id = `click-${++responseUrlSeq}`;
      const message =
        messageTs === undefined ? { ts: '0.0' } : (slack.apiMessage(channel, messageTs) ?? { ts: messageTs });
      const ack = await transport.blockActions({
        user: { id: user },
        channel: { id: channel },
        message,
        actions: [{ action_id: actionId, block_id: 'actions', value }],
        response_url: slack.responseUrl(id, {
          channel,
          user,
          ...(messageTs === undefined ? {} : { messageTs }),
        }),
        ...(ephemeral === true ? { ephemeral: true } : {}),
        ...(state === undefined ? {} : { state }),
      });
      return { ack, http: ack, responseUrlId: id };
    },
    metricsUrl(process) {
      const port = process === 'bot' ? bot.metricsPort : worker?.metricsPort;
      if (port === undefined) throw new Error(`the ${process} is not running or serves no /metrics`);
      return `http://127.0.0.1:${port}/metrics`;
    },
    // A deadline, not a pause: a reply comes as soon as it is ready. 15 s because a loaded CI
    // machine running the real-packet lab beside the bot once took over 5 s to answer a
    // /netpol suggest (graph rendering included); Slack honours a response_url for 30 minutes.
    replyOn(id, timeoutMs = 15_000) {
      return slack.waitForResponseUrlPost((post) => post.id === id, timeoutMs);
    },
    async publishDrops(events) {
      const client = new Redis(redis.url, { maxRetriesPerRequest: null });
      try {
        const pipeline = client.pipeline();
        for (const event of events)
          pipeline.xadd(dropStreamKey(prefix, workerConfig.cluster), '*', ...dropEventFields(event));
        await pipeline.exec();
      } finally {
        client.disconnect();
      }
    },
    async waitForSnapshot(predicate = (state: ClusterState) => state.pods.length > 0) {
      const client = new Redis(redis.url, { maxRetriesPerRequest: null });
      const cache = new ClusterCache(client, prefix);
      const deadline = Date.now() + 10_000;
      try {
        while (Date.now() < deadline) {
          const snapshot = await cache.read(workerConfig.cluster);
          if (snapshot !== undefined && predicate(snapshot.state)) return;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        throw new Error('the worker never wrote a matching cluster snapshot');
      } finally {
        client.disconnect();
      }
    },
    async close() {
      await worker?.close();
      await bot.close();
      await socket?.close();
      await kube.close();
      await slack.close();
      await redis.stop();
    },
  };
  return plane;
}
