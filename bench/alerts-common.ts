/**
 * What the alert benches share: simulated agents (decoded kernel drop events -> the agent's
 * DropEvent -> DropEventPublisher -> XADD, as run-agent wires them, without the kernel), a wait
 * on an observable condition, and CPU time of this process.
 */
import Redis from 'ioredis';
import pino from 'pino';
import type { DataplaneEvent } from '../src/adapters/bpf/abi';
import { dropEventOf, type DropEventContext } from '../src/agent/drop-event-of';
import { DropEventPublisher } from '../src/agent/drop-event-publisher';
import type { PodFacts } from '../src/agent/enforcer';
import { AlertStore } from '../src/adapters/redis/alert-store';
import { createSlackWebClient, SlackOutbox, startSlackOutboundWorker } from '../src/adapters/slack/outbound';
import { TEST_BOT } from '../src/devtools/slack/slack-test-identity';
import { SlackWebApiStandIn } from '../src/devtools/slack/slack-web-api-stand-in';

export interface PublisherMode {
  readonly name: string;
  readonly batchSize: number;
  readonly eventsPerEntry: number;
  readonly coalesce: boolean;
  /** The publisher's buffer; default 4 batches. */
  readonly capacity?: number;
}

/** What run-agent used before issue 10's leftovers (the publisher's own defaults). */
export const LEGACY: PublisherMode = {
  name: 'one event per entry',
  batchSize: 100,
  eventsPerEntry: 1,
  coalesce: false,
};
export const BATCHED: PublisherMode = {
  name: '100 events per entry',
  batchSize: 1000,
  eventsPerEntry: 100,
  coalesce: false,
};
/** What run-agent wires (its publisher options): batches of 1,000, 100 per entry, coalesced. */
export const COALESCED: PublisherMode = {
  name: '100 per entry + coalesce (agent default)',
  batchSize: 1000,
  eventsPerEntry: 100,
  coalesce: true,
  capacity: 4000,
};
/** The same in the publisher's default batches of 100 (a buffer of 1,000): what coalescing gains from batches. */
export const COALESCED_SMALL_BATCHES: PublisherMode = {
  name: '100 per entry + coalesce, batches of 100',
  batchSize: 100,
  eventsPerEntry: 100,
  coalesce: true,
  capacity: 1000,
};

function pod(namespace: string, name: string, app: string, ip: string): PodFacts {
  return {
    namespace,
    name,
    labels: { app, 'pod-template-hash': '7d4b9c8f5' },
    nodeName: 'n',
    hostNetwork: false,
    ips: [ip],
  };
}

/**
 * The drops node `node` decodes: `flows` destination pods (endpoint ids 1..flows, half in
 * `backend`, half in `web`), all from frontend/nginx, each connection its own source port.
 */
export function simulatedNode(
  node: string,
  flows: number,
): {
  context: (now: Date) => DropEventContext;
  decoded: (i: number) => DataplaneEvent;
} {
  const client = pod('frontend', 'nginx-6c9f8d7b4-abcde', 'nginx', '10.244.1.10');
  const servers = Array.from({ length: flows }, (_, f) =>
    pod(f < flows / 2 ? 'backend' : 'web', `api-${f}-7d4b9c8f5-x2k4q`, `api-${f}`, `10.244.2.${f + 1}`),
  );
  const byIp = new Map([client, ...servers].map((p) => [p.ips[0]!, p]));
  return {
    context: (now) => ({
      cluster: 'prod',
      node,
      now,
      podOfEndpoint: (id) => servers[id - 1],
      podOf: (address) => byIp.get(address),
    }),
    decoded: (i) => {
      const f = i % flows;
      return {
        timestampNs: BigInt(i),
        family: 4,
        source: '10.244.1.10',
        destination: `10.244.2.${f + 1}`,
        sourcePort: 30_000 + (i % 30_000),
        destinationPort: 8080,
        protocol: 6,
        endpointId: f + 1,
        peerIdentity: 7,
        ruleId: 0,
        suppressed: 0,
        direction: 'ingress',
        kind: 'drop',
        reason: 'NO_RULE_INGRESS',
      };
    },
  };
}

/**
 * One simulated agent publishing `events` drops as fast as its publisher takes them: it waits for
 * the publisher to drain when its buffer is nearly full (back-pressure, so nothing is discarded).
 * `at` fixes the events' instant (one alert window), as the agent's clock would within a second.
 */
export async function runAgent(options: {
  redisUrl: string;
  streamKey: string;
  maxLen: number;
  node: string;
  flows: number;
  events: number;
  at: Date;
  mode: PublisherMode;
}): Promise<{ published: number; discarded: number; failed: number; entries: number }> {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const capacity = options.mode.capacity ?? options.mode.batchSize * 4;
  const publisher = new DropEventPublisher({
    redis,
    streamKey: options.streamKey,
    maxLen: options.maxLen,
    log: pino({ level: 'silent' }),
    capacity,
    batchSize: options.mode.batchSize,
    eventsPerEntry: options.mode.eventsPerEntry,
    coalesce: options.mode.coalesce,
  });
  const node = simulatedNode(options.node, options.flows);
  const context = node.context(options.at);
  for (let i = 0; i < options.events; i++) {
    if (publisher.stats().buffered >= capacity - 1) await publisher.drained();
    publisher.publish(dropEventOf(node.decoded(i), context));
  }
  await publisher.close();
  redis.disconnect();
  const stats = publisher.stats();
  return {
    published: stats.published,
    discarded: stats.discarded,
    failed: stats.failed,
    entries: stats.entries ?? 0,
  };
}

/** Polls `probe` until it gives a value; fails after the deadline naming what never happened. */
export async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
}

export function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** The bot's half: the Slack Web API stand-in behind the real outbound worker, paced per channel. */
export async function startSlackSide(
  redisUrl: string,
  prefix: string,
  perChannelIntervalMs: number,
): Promise<{ slack: SlackWebApiStandIn; close: () => Promise<void> }> {
  const slack = await SlackWebApiStandIn.start();
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const store = new AlertStore(connection, { prefix });
  const outbox = new SlackOutbox({ connection, prefix });
  const worker = startSlackOutboundWorker({
    connection,
    prefix,
    outbox,
    client: createSlackWebClient({ token: TEST_BOT.token, apiUrl: slack.apiUrl }),
    perChannelIntervalMs,
    log: pino({ level: 'silent' }),
    onPosted: async (job, delivered) => {
      if (job.kind !== 'ephemeral' && job.alert !== undefined) await store.delivered(job.alert, delivered);
    },
  });
  return {
    slack,
    close: async () => {
      await worker.close();
      await outbox.close();
      connection.disconnect();
      await slack.close();
    },
  };
}

/** The counts the flows' alert messages show now (latest revision of each), by channel. */
export function shownCounts(slack: SlackWebApiStandIn, channel: string): number[] {
  return slack
    .messages(channel)
    .filter((m) => m.text.includes(' -&gt; '))
    .map((m) => Number(/: ([\d,]+) drops?/.exec(m.text)?.[1]?.replace(/,/g, '') ?? 'NaN'));
}
