/**
 * `npm run bench:alerts` (issue 10): drop events per second, and this process's CPU per event, in
 * each stage of the alert pipeline, each against a bare baseline measured in the same run on the
 * same redis-server (one, started here; its CPU is not counted):
 *
 *   agent        decoded kernel event -> DropEvent -> DropEventPublisher -> XADD (one agent, no
 *                kernel: the decoded events are fed in). Baseline: the same DropEvents, already
 *                built, XADDed one per entry in pipelines of 1,000, no publisher.
 *   worker       stream -> consumer group -> aggregation -> atomic count-and-ack -> dirty groups ->
 *                the outbound queue -> the Slack stand-in (a message per flow). Baseline: the same
 *                entries read with XREADGROUP, parsed, acknowledged with a plain XACK.
 *   end to end   three agents publishing while one worker consumes, all in this one process (one
 *                core for the JavaScript): from the first event decoded to the last drop counted.
 *                Baseline: the agent baseline's XADDs then the worker baseline's reads, same events.
 *
 * Each in four wire modes of the agent: one event per entry (the agent's former default), 100
 * events per entry, 100 per entry with one flow's events of a second coalesced in batches of
 * 1,000 (the agent's default, as run-agent wires it), and that in batches of 100. Medians of RUNS
 * runs.
 * Then the 1,000,000-drop storm (bench/alerts-storm.ts) unless STORM=0.
 *
 *   npm run bench:alerts     # EVENTS=200000 RUNS=3 FLOWS=20 STORM=1 STORM_EVENTS=1000000
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { dropEventOf } from '../src/agent/drop-event-of';
import { dropEventFields, dropStreamKey, type DropEvent } from '../src/contracts/drop-events';
import { startRedis, type TestRedis } from '../src/devtools/redis/redis-server';
import { startAlertWorker } from '../src/workers/alerts/alert-worker';
import { windowOf } from '../src/workers/alerts/drop-groups';
import {
  BATCHED,
  COALESCED,
  COALESCED_SMALL_BATCHES,
  cpuMs,
  LEGACY,
  runAgent,
  simulatedNode,
  startSlackSide,
  until,
  type PublisherMode,
} from './alerts-common';
import { runStorm } from './alerts-storm';
import { median } from './stats';

const EVENTS = Number(process.env.EVENTS ?? 200_000);
const RUNS = Number(process.env.RUNS ?? 3);
const FLOWS = Number(process.env.FLOWS ?? 20);
const MODES: readonly PublisherMode[] = [LEGACY, BATCHED, COALESCED, COALESCED_SMALL_BATCHES];
/** XREADGROUP COUNT: entries per read. Single-event entries: 1,000 (the previous bench's); batched: 100 (10,000 events). */
const countFor = (mode: PublisherMode) => (mode.eventsPerEntry === 1 ? 1000 : 100);

interface Run {
  seconds: number;
  cpu: number;
}

const WINDOW_MS = 300_000;
// Every event in one window, whenever the bench runs (a window boundary would split the flows).
const at = () => new Date(windowOf(Date.now(), WINDOW_MS).start + 1000);

async function timed(fn: () => Promise<void>): Promise<Run> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, cpu: cpuMs(cpu) };
}

/** Agent baseline: built DropEvents, XADD one per entry in pipelines of 1,000. */
async function xaddBaseline(redis: TestRedis, client: Redis, events: number, stream: string): Promise<Run> {
  const node = simulatedNode('node-0', FLOWS);
  const context = node.context(at());
  const built: DropEvent[] = Array.from({ length: events }, (_, i) => dropEventOf(node.decoded(i), context));
  const writer = new Redis(redis.url);
  const run = await timed(async () => {
    for (let start = 0; start < events; start += 1000) {
      const pipeline = writer.pipeline();
      for (let i = start; i < Math.min(events, start + 1000); i++)
        pipeline.xadd(stream, 'MAXLEN', '~', '1000000', '*', ...dropEventFields(built[i]!));
      await pipeline.exec();
    }
  });
  writer.disconnect();
  await client.del(stream);
  return run;
}

async function agentRun(redis: TestRedis, client: Redis, mode: PublisherMode, stream: string): Promise<Run> {
  const run = await timed(async () => {
    const result = await runAgent({
      redisUrl: redis.url,
      streamKey: stream,
      maxLen: 1_000_000,
      node: 'node-0',
      flows: FLOWS,
      events: EVENTS,
      at: at(),
      mode,
    });
    if (result.published !== EVENTS) throw new Error(`agent published ${result.published} of ${EVENTS}`);
  });
  await client.del(stream);
  return run;
}

/** Fills the stream as three agents in `mode` would (not timed). */
async function fill(redis: TestRedis, stream: string, mode: PublisherMode, events: number): Promise<void> {
  await Promise.all(
    [0, 1, 2].map((k) =>
      runAgent({
        redisUrl: redis.url,
        streamKey: stream,
        maxLen: 1_000_000,
        node: `node-${k}`,
        flows: FLOWS,
        events: Math.floor(events / 3) + (k < events % 3 ? 1 : 0),
        at: at(),
        mode,
      }),
    ),
  );
}

/** Worker baseline: XREADGROUP + parse + XACK of every entry, nothing else. */
async function readBaseline(
  redis: TestRedis,
  client: Redis,
  mode: PublisherMode,
  stream: string,
): Promise<Run> {
  await client.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
  const entriesTotal = Number(await client.xlen(stream));
  const reader = new Redis(redis.url);
  const run = await timed(async () => {
    let read = 0;
    while (read < entriesTotal) {
      const reply = (await reader.xreadgroup(
        'GROUP',
        'g',
        'c',
        'COUNT',
        countFor(mode),
        'STREAMS',
        stream,
        '>',
      )) as [string, [string, string[]][]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      // Parsed, so the baseline is reading, not skipping, the events.
      for (const [, fields] of entries) JSON.parse(fields[1]!);
      if (entries.length > 0) await reader.xack(stream, 'g', ...entries.map(([id]) => id));
      read += entries.length;
    }
  });
  reader.disconnect();
  return run;
}

async function workerRun(
  redis: TestRedis,
  prefix: string,
  mode: PublisherMode,
  beforeStart: () => Promise<void>,
): Promise<Run> {
  const side = await startSlackSide(redis.url, prefix, 1000);
  let worker: Awaited<ReturnType<typeof startAlertWorker>> | undefined;
  const run = await timed(async () => {
    await beforeStart();
    worker = await startAlertWorker(
      {
        cluster: 'prod',
        redisUrl: redis.url,
        prefix,
        alerts: { defaultChannel: 'C0BENCH01', channels: { backend: 'C0BENCHB1' }, windowMs: WINDOW_MS },
      },
      {
        log: pino({ level: 'silent' }),
        timing: { batchSize: countFor(mode), blockMs: 20, flushEveryMs: 200, snapshotWaitMs: 0 },
      },
    );
    const w = worker;
    await until(() => (w.stats().drops >= EVENTS ? true : undefined), 'every drop counted', 600_000);
  });
  // Every flow's message queued to the outbound worker (untimed: flushes run every 200 ms), one
  // in the stand-in; the rest follow at Slack's pace of one call a second per channel.
  const w = worker!;
  await until(() => (w.stats().sent >= FLOWS ? true : undefined), 'a message queued per flow', 60_000);
  await until(
    () =>
      side.slack.messages('C0BENCH01').length + side.slack.messages('C0BENCHB1').length > 0
        ? true
        : undefined,
    'a message in the Slack stand-in',
    60_000,
  );
  await w.close();
  await side.close();
  return run;
}

function line(label: string, runs: Run[], events: number, base?: Run[]): string {
  const rate = median(runs.map((r) => events / r.seconds));
  const cpu = (median(runs.map((r) => r.cpu)) * 1000) / events;
  const ratio =
    base === undefined
      ? ''
      : `  ${(rate / median(base.map((r) => events / r.seconds))).toFixed(2)}x baseline`;
  return `  ${label.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} events/s  ${cpu.toFixed(2).padStart(6)} µs CPU/event${ratio}`;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const client = new Redis(redis.url);
  const out = (text: string) => process.stdout.write(`${text}\n`);
  try {
    out(
      `alert pipeline: ${EVENTS.toLocaleString('en-US')} drop events, ${FLOWS} flows; median of ${RUNS} runs; CPU is this process's (user + system), Redis's not counted`,
    );
    const fresh = () => `bench-${randomBytes(3).toString('hex')}`;

    // Agent: decoded event -> XADD.
    const agentBase: Run[] = [];
    const agent = new Map<PublisherMode, Run[]>(MODES.map((m) => [m, []]));
    for (let run = 0; run < RUNS; run++) {
      agentBase.push(await xaddBaseline(redis, client, EVENTS, dropStreamKey(fresh(), 'prod')));
      for (const mode of MODES)
        agent.get(mode)!.push(await agentRun(redis, client, mode, dropStreamKey(fresh(), 'prod')));
    }
    out('agent: decoded kernel event -> DropEvent -> publisher -> XADD (one agent)');
    out(line('baseline  built events, bare XADD pipelines', agentBase, EVENTS));
    for (const mode of MODES) out(line(`publisher ${mode.name}`, agent.get(mode)!, EVENTS, agentBase));

    // Worker: stream -> aggregation -> count -> Slack stand-in.
    out('worker: stream -> consumer group -> aggregation -> count-and-ack -> outbound -> Slack stand-in');
    for (const mode of MODES) {
      const base: Run[] = [];
      const full: Run[] = [];
      for (let run = 0; run < RUNS; run++) {
        const stream = dropStreamKey(fresh(), 'prod');
        await fill(redis, stream, mode, EVENTS);
        base.push(await readBaseline(redis, client, mode, stream));
        await client.del(stream);
        const prefix = fresh();
        await fill(redis, dropStreamKey(prefix, 'prod'), mode, EVENTS);
        full.push(await workerRun(redis, prefix, mode, async () => undefined));
        await client.del(dropStreamKey(prefix, 'prod'));
      }
      out(line(`baseline  XREADGROUP+parse+XACK, ${mode.name}`, base, EVENTS));
      out(line(`worker    ${mode.name}, COUNT ${countFor(mode)}`, full, EVENTS, base));
    }

    // End to end: three agents and the worker at once, one process.
    out('end to end: 3 agents publishing while 1 worker consumes, all in this process (one core)');
    for (const mode of MODES) {
      const base: Run[] = [];
      const full: Run[] = [];
      for (let run = 0; run < RUNS; run++) {
        const stream = dropStreamKey(fresh(), 'prod');
        const b1 = await xaddBaseline(redis, client, EVENTS, `${stream}:x`);
        await fill(redis, stream, LEGACY, EVENTS);
        const b2 = await readBaseline(redis, client, LEGACY, stream);
        await client.del(stream);
        base.push({ seconds: b1.seconds + b2.seconds, cpu: b1.cpu + b2.cpu });
        const prefix = fresh();
        let agents: Promise<void> | undefined;
        full.push(
          await workerRun(redis, prefix, mode, async () => {
            agents = fill(redis, dropStreamKey(prefix, 'prod'), mode, EVENTS);
          }),
        );
        await agents;
        await client.del(dropStreamKey(prefix, 'prod'));
      }
      out(line(`baseline  bare XADD then bare read (1/entry)`, base, EVENTS));
      out(line(`pipeline  ${mode.name}`, full, EVENTS, base));
    }
  } finally {
    client.disconnect();
    await redis.stop();
  }
  if (process.env.STORM !== '0') await runStorm(out);
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
