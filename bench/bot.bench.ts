/**
 * `npm run bench:bot`: how fast the bot acknowledges Slack and how fast an approval reaches the
 * cluster, over the whole control plane on loopback (test/e2e/control-plane-harness.ts: a real
 * redis-server, the Slack and Kubernetes API stand-ins, the real bot behind Bolt's HTTP receiver and
 * a real policy worker). Everything but Redis shares this process and its event loop, clients
 * included, so the per-phase event-loop load is printed with the numbers.
 *
 * After a warm-up it measures:
 * - baseline: a POST with a forged signature, which Bolt answers 401 before any listener runs: the
 *   machine's own HTTP floor, measured the same way as what it is compared with (200 requests at the
 *   same concurrency), once before and once after, pooled;
 * - ack: 200 signed `/netpol allow frontend nginx to backend on tcp/<distinct port>` from 20
 *   concurrent clients, each sending its share one after the other and waiting for the preview before
 *   typing the next (request sent -> Bolt's 200), and time to preview (request sent -> the ephemeral
 *   preview reaching the response_url, stamped by the Slack stand-in on arrival); then 50 more from
 *   one client, the same path without contention;
 * - approve: 63 of those previews are submitted (untimed), then Approve is clicked as an approver:
 *   the click's ack, and click sent -> the Kubernetes API stand-in holding the request's policies
 *   (stamped in the store's change callback), one request at a time, then 5 at a time; and where that
 *   time goes, from the request's audit trail and its apply job's stamps.
 * Prints count, median, p90, p99 and max, the ratio of medians to the baseline and the targets (ack
 * p99 < 100 ms, approve -> applied p99 < 500 ms), then one JSON line. A missed target prints MISSED
 * and does not fail the run; only a broken run exits non-zero. About 10 s.
 */
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { applyQueueName, type ApplyJob } from '../src/queue-contract';
import { RequestStore } from '../src/requests/request-store';
import { startControlPlane } from '../test/e2e/control-plane-harness';
import {
  approvals,
  BotDriver,
  commands,
  type ApprovalRun,
  type CommandRun,
  type PendingRequest,
} from './bot-driver';
import {
  formatLoad,
  latencyTable,
  meetsTarget,
  runClients,
  summariseMs,
  underLoad,
  type LatencyRow,
  type PhaseLoad,
} from './latency';

const SHAPE = {
  clients: 20,
  commands: 200,
  commandsOneClient: 50,
  baselineRequests: 200,
  warmupCommands: 20,
  warmupBaseline: 40,
  approveWarmup: 3,
  approveSequential: 10,
  approveConcurrent: 50,
  approveConcurrency: 5,
  firstPort: 20_000,
};
const TARGETS = { ackP99Ms: 100, appliedP99Ms: 500 };

const clientsLabel = (n: number): string => (n === 1 ? '1 client' : `${n} clients`);

/** Forged-signature round trips, by client concurrency. */
class Baselines {
  readonly samples = new Map<number, number[]>();
  readonly loads: Record<string, PhaseLoad> = {};

  constructor(private readonly driver: BotDriver) {}

  async round(clients: number, label: string): Promise<void> {
    const samples = this.samples.get(clients) ?? [];
    this.samples.set(clients, samples);
    this.loads[`baseline ${clientsLabel(clients)}, ${label}`] = await underLoad(() =>
      runClients(
        SHAPE.baselineRequests,
        clients,
        async (i) => void samples.push(await this.driver.forged(i)),
      ),
    );
  }

  row(clients: number): LatencyRow {
    const samples = this.samples.get(clients);
    if (samples === undefined) throw new Error(`no baseline at ${clients} clients`);
    return {
      name: `baseline: forged signature -> 401, ${clientsLabel(clients)}`,
      summary: summariseMs(samples),
    };
  }
}

interface Results {
  many: CommandRun;
  one: CommandRun;
  sequential: ApprovalRun;
  concurrent: ApprovalRun;
  baselines: Baselines;
}

async function measure(driver: BotDriver): Promise<Results> {
  const baselines = new Baselines(driver);
  const { clients, approveConcurrency: c } = SHAPE;
  const { approveWarmup: w, approveSequential: n, approveConcurrent: m } = SHAPE;
  // Command indices (and so ports): the measured 200, the warm-up, then the one-client run.
  const warmupFirst = SHAPE.commands;
  const oneFirst = warmupFirst + SHAPE.warmupCommands;

  // Warm-up: every path at least once (Bolt, the listeners, the response_url client, the outbox).
  await runClients(SHAPE.warmupBaseline, clients, async (i) => void (await driver.forged(i)));
  await commands(driver, { first: warmupFirst, count: SHAPE.warmupCommands, clients });

  await baselines.round(clients, 'before');
  const many = await commands(driver, { first: 0, count: SHAPE.commands, clients });
  await baselines.round(clients, 'after');

  // Untimed setup: submit, and wait for every approval message to be posted.
  const pending: PendingRequest[] = [];
  await runClients(w + n + m, c, async (i) => void (pending[i] = await driver.submit(many.drafts[i]!)));
  for (const p of pending.slice(0, w)) await driver.approve(p);

  await baselines.round(1, 'before');
  const one = await commands(driver, { first: oneFirst, count: SHAPE.commandsOneClient, clients: 1 });
  const sequential = await approvals(driver, pending.slice(w, w + n), 1);
  await baselines.round(1, 'after');
  await baselines.round(c, 'before');
  const concurrent = await approvals(driver, pending.slice(w + n), c);
  await baselines.round(c, 'after');
  return { many, one, sequential, concurrent, baselines };
}

function report(results: Results, wallMs: number): void {
  const { many, one, sequential, concurrent, baselines } = results;
  const { clients, approveConcurrency: c } = SHAPE;
  const base = { many: baselines.row(clients), one: baselines.row(1), some: baselines.row(c) };
  const vs = (row: LatencyRow) => ({ baselineMedianMs: row.summary.medianMs });
  const rows = {
    baselineMany: base.many,
    ack: {
      name: `slash command -> ack, ${clients} clients`,
      summary: summariseMs(many.ack),
      ...vs(base.many),
      targetP99Ms: TARGETS.ackP99Ms,
    },
    preview: {
      name: `slash command -> preview, ${clients} clients`,
      summary: summariseMs(many.preview),
      ...vs(base.many),
    },
    baselineOne: base.one,
    ackOne: { name: 'slash command -> ack, 1 client', summary: summariseMs(one.ack), ...vs(base.one) },
    previewOne: {
      name: 'slash command -> preview, 1 client',
      summary: summariseMs(one.preview),
      ...vs(base.one),
    },
    approveAckOne: {
      name: 'Approve -> ack, one at a time',
      summary: summariseMs(sequential.ack),
      ...vs(base.one),
    },
    appliedOne: {
      name: 'Approve -> applied, one at a time',
      summary: summariseMs(sequential.applied),
      ...vs(base.one),
      targetP99Ms: TARGETS.appliedP99Ms,
    },
    baselineSome: base.some,
    approveAckSome: {
      name: `Approve -> ack, ${c} at a time`,
      summary: summariseMs(concurrent.ack),
      ...vs(base.some),
    },
    appliedSome: {
      name: `Approve -> applied, ${c} at a time`,
      summary: summariseMs(concurrent.applied),
      ...vs(base.some),
      targetP99Ms: TARGETS.appliedP99Ms,
    },
  } satisfies Record<string, LatencyRow>;

  console.log(
    `bot bench: ${SHAPE.commands} slash commands from ${clients} concurrent clients (each waits for its ` +
      `preview before typing the next), ${SHAPE.commandsOneClient} from one client; Approve -> applied ` +
      `for ${SHAPE.approveSequential} requests one at a time and ${SHAPE.approveConcurrent} requests ${c} at a ` +
      `time; median/base: against the forged-signature baseline at the same concurrency; node ${process.version}`,
  );
  console.log('event loop (one, shared by the bot, the worker, the stand-ins and the clients):');
  const loads: Record<string, PhaseLoad> = {
    [`commands, ${clients} clients`]: many.load,
    'commands, 1 client': one.load,
    'approvals one at a time': sequential.load,
    [`approvals ${c} at a time`]: concurrent.load,
    ...baselines.loads,
  };
  for (const [phase, load] of Object.entries(loads)) console.log(`  ${phase}: ${formatLoad(load)}`);
  console.log('');
  console.log(latencyTable(Object.values(rows)));
  console.log('');
  const missed = Object.values(rows).filter((r: LatencyRow) => meetsTarget(r) === false);
  console.log(
    missed.length === 0 ? 'targets: all met' : `targets: MISSED for ${missed.map((r) => r.name).join('; ')}`,
  );
  console.log('');
  console.log('where Approve -> applied goes (audit-trail and job stamps, wall clock, 1 ms resolution):');
  console.log(
    latencyTable([...stageRows(sequential, 'one at a time'), ...stageRows(concurrent, `${c} at a time`)]),
  );

  const summaries = Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, r.summary]));
  const stageMedians = (run: ApprovalRun) =>
    Object.fromEntries(Object.entries(run.stages).map(([k, v]) => [k, summariseMs(v).medianMs]));
  console.log(
    JSON.stringify({
      bench: 'bot',
      unit: 'ms',
      clients,
      approveConcurrency: c,
      ...summaries,
      ackMedianVsBaseline: rows.ack.summary.medianMs / base.many.summary.medianMs,
      appliedStageMedians: { sequential: stageMedians(sequential), concurrent: stageMedians(concurrent) },
      targets: {
        ackP99Ms: TARGETS.ackP99Ms,
        ackMet: meetsTarget(rows.ack),
        appliedP99Ms: TARGETS.appliedP99Ms,
        appliedOneAtATimeMet: meetsTarget(rows.appliedOne),
        appliedConcurrentMet: meetsTarget(rows.appliedSome),
      },
      eventLoop: loads,
      wallSeconds: Number((wallMs / 1000).toFixed(1)),
    }),
  );
}

function stageRows(run: ApprovalRun, how: string): LatencyRow[] {
  return [
    { name: `click -> decision stamped, ${how}`, summary: summariseMs(run.stages.toDecisionMs) },
    { name: `decision -> apply job created, ${how}`, summary: summariseMs(run.stages.toEnqueuedMs) },
    { name: `job created -> a worker takes it, ${how}`, summary: summariseMs(run.stages.inQueueMs) },
    { name: `worker takes it -> in the cluster, ${how}`, summary: summariseMs(run.stages.applyingMs) },
  ];
}

async function main(): Promise<void> {
  const started = performance.now();
  const plane = await startControlPlane();
  const redis = new Redis(plane.redis.url, { maxRetriesPerRequest: null });
  const applyQueue = new Queue<ApplyJob>(applyQueueName(plane.config.clusters[0]!), {
    connection: redis,
    prefix: plane.config.prefix,
  });
  try {
    await plane.startWorker();
    await plane.waitForSnapshot();
    const requests = new RequestStore(redis, { prefix: plane.config.prefix });
    const driver = new BotDriver({ plane, requests, applyQueue, firstPort: SHAPE.firstPort });
    report(await measure(driver), performance.now() - started);
  } finally {
    await applyQueue.close();
    redis.disconnect();
    await plane.close();
  }
}

main().then(
  // Anything still open after close() (a keep-alive socket) must not hold the process up.
  () => void setTimeout(() => process.exit(), 2000).unref(),
  (error: unknown) => {
    console.error('bot bench failed:', error);
    process.exitCode = 1;
    setTimeout(() => process.exit(), 2000).unref();
  },
);
