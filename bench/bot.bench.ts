/**
 * `npm run bench:bot`: how fast the bot acknowledges Slack and how fast an approval reaches the
 * cluster, over the whole control plane on loopback, run as deployed (process-plane.ts): the bot
 * (`node dist/src/bot/main.js`, Bolt's HTTP receiver) and the policy worker
 * (`node dist/src/workers/main.js --cluster prod`) are OS processes of their own, configured through
 * their environment, with a real redis-server; only the Slack and Kubernetes API stand-ins and the
 * clients run in this process. `--in-process` runs the old way instead
 * (src/devtools/control-plane.ts: the bot, the worker, the stand-ins and the clients on one event
 * loop), where the numbers measure queueing on that loop more than the bot. Each phase prints this
 * process's event-loop load and every process's CPU time.
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
 * - approve: 63 of those previews are submitted (untimed; as deployed the bot posts their approval
 *   messages one a second, so this takes about a minute), then Approve is clicked as an approver:
 *   the click's ack, and click sent -> the Kubernetes API stand-in holding the request's policies
 *   (stamped in the store's change callback), one request at a time, then 5 at a time; and where that
 *   time goes, from the request's audit trail and its apply job's stamps.
 * Prints which process ran what and the machine's load, count, median, p90, p99 and max, the ratio of
 * medians to the baseline and the targets (ack p99 < 100 ms, approve -> applied p99 < 500 ms), then
 * one JSON line. A missed target prints MISSED and does not fail the run; only a broken run (or the
 * bot or the worker exiting) exits non-zero.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { applyQueueName, type ApplyJob } from '../src/contracts/queues';
import { RequestStore } from '../src/adapters/redis/request-store';
import { startControlPlane } from '../src/devtools/control-plane';
import {
  approvals,
  BotDriver,
  commands,
  type ApprovalRun,
  type BenchPlane,
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
  type ProcessIds,
} from './latency';
import { redisServerPid, startProcessPlane, type ChildSummary } from './process-plane';

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
/** A submit's wait for its approval message: the bot posts one a second to a channel, as deployed. */
const APPROVAL_POST_TIMEOUT_MS =
  15_000 + (SHAPE.approveWarmup + SHAPE.approveSequential + SHAPE.approveConcurrent) * 1_100;

const clientsLabel = (n: number): string => (n === 1 ? '1 client' : `${n} clients`);

/** Forged-signature round trips, by client concurrency. */
class Baselines {
  readonly samples = new Map<number, number[]>();
  readonly loads: Record<string, PhaseLoad> = {};

  constructor(private readonly driver: BotDriver) {}

  async round(clients: number, label: string): Promise<void> {
    const samples = this.samples.get(clients) ?? [];
    this.samples.set(clients, samples);
    this.loads[`baseline ${clientsLabel(clients)}, ${label}`] = await underLoad(
      () =>
        runClients(
          SHAPE.baselineRequests,
          clients,
          async (i) => void samples.push(await this.driver.forged(i)),
        ),
      this.driver.processes,
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
  /** The untimed submits, until every approval message was posted. */
  setupSeconds: number;
}

/** Where the run happened: which process ran what, and the machine. */
interface RunInfo {
  mode: 'processes' | 'in-process';
  /** One line per process, for the report. */
  where: string[];
  /** name -> pid, this process included. */
  pids: Record<string, number>;
  cpus: number;
  loadavgStart: string;
  /** The bot's and the worker's output (process mode). */
  children?: () => ChildSummary[];
}

/** /proc/loadavg's first three fields (1, 5, 15 minutes), or os.loadavg() where there is no /proc. */
function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  }
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
  const setupStarted = performance.now();
  const pending: PendingRequest[] = [];
  await runClients(w + n + m, c, async (i) => void (pending[i] = await driver.submit(many.drafts[i]!)));
  const setupSeconds = (performance.now() - setupStarted) / 1000;
  for (const p of pending.slice(0, w)) await driver.approve(p);

  await baselines.round(1, 'before');
  const one = await commands(driver, { first: oneFirst, count: SHAPE.commandsOneClient, clients: 1 });
  const sequential = await approvals(driver, pending.slice(w, w + n), 1);
  await baselines.round(1, 'after');
  await baselines.round(c, 'before');
  const concurrent = await approvals(driver, pending.slice(w + n), c);
  await baselines.round(c, 'after');
  return { many, one, sequential, concurrent, baselines, setupSeconds };
}

function report(results: Results, info: RunInfo, wallMs: number): void {
  const { many, one, sequential, concurrent, baselines } = results;
  const { clients, approveConcurrency: c, approveWarmup: w } = SHAPE;
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
  const loadavgEnd = loadAverage();
  console.log(`processes (${info.mode === 'processes' ? 'as deployed' : '--in-process'}):`);
  for (const line of info.where) console.log(`  ${line}`);
  console.log(
    `machine: ${info.cpus} CPUs; load average (1/5/15 min, /proc/loadavg) ${info.loadavgStart} at start, ` +
      `${loadavgEnd} at the end`,
  );
  console.log(
    `untimed setup: ${w + SHAPE.approveSequential + SHAPE.approveConcurrent} submits until every approval message ` +
      `was posted: ${results.setupSeconds.toFixed(1)} s`,
  );
  console.log('');
  console.log(
    info.mode === 'processes'
      ? 'load per phase (event loop: this process, the stand-ins and the clients; CPU: per process):'
      : 'load per phase (event loop: one, shared by the bot, the worker, the stand-ins and the clients):',
  );
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
  const children = info.children?.() ?? [];
  for (const child of children.filter((ch) => ch.outputLines > 0)) {
    console.log(
      `${child.name} wrote ${child.outputLines} line(s) of output (LOG_LEVEL=warn); the last: ${child.lastLine}`,
    );
  }

  const summaries = Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, r.summary]));
  const stageMedians = (run: ApprovalRun) =>
    Object.fromEntries(Object.entries(run.stages).map(([k, v]) => [k, summariseMs(v).medianMs]));
  console.log(
    JSON.stringify({
      bench: 'bot',
      unit: 'ms',
      clients,
      approveConcurrency: c,
      mode: info.mode,
      pids: info.pids,
      cpus: info.cpus,
      loadavg: { start: info.loadavgStart, end: loadavgEnd },
      childOutputLines: Object.fromEntries(children.map((ch) => [ch.name, ch.outputLines])),
      setupSeconds: Number(results.setupSeconds.toFixed(1)),
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

function parseArgs(argv: readonly string[]): { inProcess: boolean } {
  let inProcess = false;
  for (const arg of argv) {
    if (arg === '--in-process') inProcess = true;
    else throw new Error(`unknown argument "${arg}" (expected nothing, or --in-process)`);
  }
  return { inProcess };
}

/** Measures against a started plane; `crashed` rejects if a process of the plane dies meanwhile. */
async function run(
  plane: BenchPlane,
  store: { redisUrl: string; prefix: string; cluster: string },
  info: RunInfo,
  processes: ProcessIds,
  crashed: Promise<never>,
  started: number,
): Promise<void> {
  const redis = new Redis(store.redisUrl, { maxRetriesPerRequest: null });
  const applyQueue = new Queue<ApplyJob>(applyQueueName(store.cluster), {
    connection: redis,
    prefix: store.prefix,
  });
  try {
    const requests = new RequestStore(redis, { prefix: store.prefix });
    const driver = new BotDriver({
      plane,
      requests,
      applyQueue,
      firstPort: SHAPE.firstPort,
      approvalPostTimeoutMs: APPROVAL_POST_TIMEOUT_MS,
      processes,
    });
    const results = await Promise.race([measure(driver), crashed]);
    report(results, info, performance.now() - started);
  } finally {
    await applyQueue.close();
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  const { inProcess } = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const loadavgStart = loadAverage();
  const cpus = availableParallelism();
  const self = `bench pid ${process.pid} (this process)`;

  if (inProcess) {
    const plane = await startControlPlane();
    try {
      await plane.startWorker();
      await plane.waitForSnapshot();
      const redisPid = await redisServerPid(plane.redis.url);
      const processes: ProcessIds = redisPid === undefined ? {} : { redis: redisPid };
      const info: RunInfo = {
        mode: 'in-process',
        where: [
          `${self}: the bot (Bolt HTTP receiver on 127.0.0.1:${plane.bot.port}, Slack posts paced 10 ms ` +
            `per channel), the worker (concurrency 2), the Slack Web API and Kubernetes API stand-ins ` +
            `and the ${SHAPE.clients} clients, on one event loop`,
          `redis-server pid ${redisPid ?? '?'} on 127.0.0.1:${plane.redis.port}`,
        ],
        pids: { bench: process.pid, ...processes },
        cpus,
        loadavgStart,
      };
      const store = {
        redisUrl: plane.redis.url,
        prefix: plane.config.prefix,
        cluster: plane.config.clusters[0]!,
      };
      await run(plane, store, info, processes, new Promise<never>(() => undefined), started);
    } finally {
      await plane.close();
    }
    return;
  }

  const plane = await startProcessPlane();
  // Whatever happens to this process, the bot, the worker and redis-server must not outlive it.
  process.on('exit', plane.killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  }
  try {
    const children = plane.children();
    const child = (name: string): ChildSummary | undefined => children.find((ch) => ch.name === name);
    const info: RunInfo = {
      mode: 'processes',
      where: [
        `${self}: the Slack Web API stand-in, the Kubernetes API stand-in and the ${SHAPE.clients} clients`,
        `bot pid ${child('bot')?.pid}: ${child('bot')?.command} (Bolt HTTP receiver on 0.0.0.0:${plane.botPort}; ` +
          `Slack posts paced as deployed, 1 s per channel)`,
        `worker pid ${child('worker')?.pid}: ${child('worker')?.command} (concurrency ${plane.workerConcurrency})`,
        `redis-server pid ${plane.redisPid ?? '?'} on 127.0.0.1:${plane.redis.port}`,
      ],
      pids: { bench: process.pid, ...plane.processes },
      cpus,
      loadavgStart,
      children: plane.children,
    };
    const store = { redisUrl: plane.redis.url, prefix: plane.prefix, cluster: plane.cluster };
    await run(plane, store, info, plane.processes, plane.crashed, started);
  } finally {
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
