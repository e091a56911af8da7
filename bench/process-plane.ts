/**
 * The control plane as deployed, for the bot bench: the bot and the policy worker run as their own
 * OS processes, started from the built entry points (`node dist/src/bot/main.js`,
 * `node dist/src/workers/main.js --cluster prod`) and configured only through their environment, as
 * in production. A real redis-server runs as a process too. Only the Slack Web API and Kubernetes API
 * stand-ins (and the bench's clients) stay in the bench's process.
 *
 * Readiness is polled with deadlines, never slept for: the bot is ready when Bolt answers a
 * forged-signature POST with 401, the worker when its cluster snapshot is in Redis.
 *
 * The children's stdout (pino, LOG_LEVEL=warn) and stderr go to files in a temporary directory, and
 * are written to this process's stderr, each line prefixed [bot] or [worker], only if the child exits
 * when it was not told to; `crashed` then rejects. close() stops the children (SIGTERM, then SIGKILL after a
 * deadline), the stand-ins and Redis; killAll() is the synchronous last resort for
 * process.on('exit').
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import Redis from 'ioredis';
import { ClusterCache } from '../src/adapters/redis/cluster-cache';
import { loadWorkerConfig } from '../src/platform/config/load-config';
import {
  ALICE,
  APPROVAL_CHANNEL,
  BOB,
  CAROL,
  REFERENCE_OBJECTS,
  REQUEST_CHANNEL,
  SRE_GROUP,
} from '../src/devtools/control-plane';
import { startKubeApiStandIn, type KubeApiStandIn } from '../src/devtools/kube-api';
import { freePort, startRedis, type TestRedis } from '../src/devtools/redis/redis-server';
import { postToBolt, slashCommandBody } from '../src/devtools/slack/slack-signer';
import { TEST_BOT, TEST_SIGNING_SECRET } from '../src/devtools/slack/slack-test-identity';
import { SlackWebApiStandIn, type ResponseUrlPost } from '../src/devtools/slack/slack-web-api-stand-in';
import type { BenchPlane } from './bot-driver';

const CLUSTER = 'prod';
const READY_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 5_000;
/** Output shown of a child that died: its last lines, up to this many per stream. */
const TAIL_LINES = 200;

/** dist/bench/process-plane.js -> dist/src/... */
const DIST = resolve(__dirname, '..');
const BOT_MAIN = join(DIST, 'src', 'bot', 'main.js');
const WORKER_MAIN = join(DIST, 'src', 'workers', 'main.js');

/**
 * Extra node options for the bot and the worker, e.g. BENCH_CHILD_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof" to profile them under the bench (NODE_OPTIONS refuses --cpu-prof).
 */
const CHILD_NODE_ARGS = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');

/** Variables of this process's environment the children must not inherit (they would change their config). */
const OWN_CONFIG = /^(SLACK_|NETPOL_|REDIS_URL$|KUBECONFIG$|PORT$|LOG_LEVEL$)/;

export interface ChildSummary {
  name: string;
  pid: number;
  /** As typed, relative to the repository: `node dist/src/bot/main.js`. */
  command: string;
  /** Lines the child wrote (pino at warn or above on stdout, anything on stderr). */
  outputLines: number;
  lastLine?: string;
}

/** The last `count` lines of a file (the whole file is read: the bench's logs are small). */
function lastLines(path: string, count: number): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-count);
}

function lineCount(path: string): number {
  try {
    const text = readFileSync(path, 'utf8');
    return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  } catch {
    return 0;
  }
}

/**
 * A child process started by the bench. Its stdout and stderr go to files, as a container runtime
 * collects them: a pipe back to this process could fill while the bench's event loop is busy, and
 * pino's synchronous writes would then stall the child.
 */
class BenchChild {
  readonly pid: number;
  readonly command: string;
  private readonly child: ChildProcess;
  private readonly stdoutPath: string;
  private readonly stderrPath: string;
  private stopping = false;
  readonly exited: Promise<void>;
  /** Rejects if the child exits before stop() was called. */
  readonly crashed: Promise<never>;

  constructor(
    readonly name: string,
    script: string,
    args: string[],
    env: Record<string, string>,
    logDir: string,
  ) {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] => entry[1] !== undefined && !OWN_CONFIG.test(entry[0]),
      ),
    );
    this.command = ['node', relative(process.cwd(), script), ...args].join(' ');
    this.stdoutPath = join(logDir, `${name}.stdout`);
    this.stderrPath = join(logDir, `${name}.stderr`);
    const stdout = openSync(this.stdoutPath, 'w');
    const stderr = openSync(this.stderrPath, 'w');
    try {
      this.child = spawn(process.execPath, [...CHILD_NODE_ARGS, script, ...args], {
        env: { ...base, ...env },
        stdio: ['ignore', stdout, stderr],
      });
    } finally {
      closeSync(stdout);
      closeSync(stderr);
    }
    if (this.child.pid === undefined) throw new Error(`cannot start ${this.command}`);
    this.pid = this.child.pid;
    this.exited = new Promise((done) => this.child.once('exit', () => done()));
    this.crashed = new Promise<never>((_, reject) => {
      this.child.once('exit', (code, signal) => {
        if (this.stopping) return;
        const lines = [
          ...lastLines(this.stdoutPath, TAIL_LINES).map((line) => `(stdout) ${line}`),
          ...lastLines(this.stderrPath, TAIL_LINES),
        ];
        for (const line of lines) process.stderr.write(`[${this.name}] ${line}\n`);
        reject(
          new Error(
            `${this.name} (${this.command}, pid ${this.pid}) exited unexpectedly ` +
              `(${signal ?? `status ${code}`}); its last output is above, prefixed [${this.name}]`,
          ),
        );
      });
    });
    this.crashed.catch(() => undefined); // raced by the caller; never unhandled
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  summary(): ChildSummary {
    const lastLine = [...lastLines(this.stdoutPath, 1), ...lastLines(this.stderrPath, 1)].pop();
    return {
      name: this.name,
      pid: this.pid,
      command: this.command,
      outputLines: lineCount(this.stdoutPath) + lineCount(this.stderrPath),
      ...(lastLine === undefined ? {} : { lastLine }),
    };
  }

  /** SIGTERM (the child's own clean shutdown), SIGKILL if it is not gone by the deadline. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((done) => (timer = setTimeout(() => done(true), STOP_DEADLINE_MS)));
    if (await Promise.race([this.exited.then(() => false), late])) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    clearTimeout(timer);
  }

  /** Synchronous, for process.on('exit'). */
  killNow(): void {
    this.stopping = true;
    if (this.running) this.child.kill('SIGKILL');
  }
}

export interface ProcessPlane extends BenchPlane {
  redis: TestRedis;
  /** redis-server's pid, from INFO (for CPU accounting and the last-resort kill). */
  redisPid: number | undefined;
  prefix: string;
  cluster: string;
  botPort: number;
  /** The worker's job concurrency, as its config loader reads the environment it was given. */
  workerConcurrency: number;
  /** name -> pid of the bot, the worker and redis-server. */
  processes: Record<string, number>;
  children(): ChildSummary[];
  /** Rejects as soon as the bot or the worker exits unexpectedly. */
  crashed: Promise<never>;
  close(): Promise<void>;
  /** Synchronous last resort (process.on('exit')): SIGKILL to the bot, the worker and redis-server. */
  killAll(): void;
}

export async function redisServerPid(url: string): Promise<number | undefined> {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  try {
    const info = await client.info('server');
    const match = /^process_id:(\d+)/m.exec(info);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } finally {
    client.disconnect();
  }
}

/** Polls Bolt with a forged-signature POST until it answers 401 (it then verifies signatures). */
async function waitForBolt(eventsUrl: string, bot: BenchChild): Promise<void> {
  const body = slashCommandBody({
    text: 'help',
    user_id: ALICE,
    channel_id: REQUEST_CHANNEL,
    response_url: 'http://127.0.0.1:9/unused',
  });
  const deadline = Date.now() + READY_DEADLINE_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!bot.running) await bot.crashed;
    try {
      const http = await postToBolt(eventsUrl, body, {
        signingSecret: TEST_SIGNING_SECRET,
        forgeSignature: true,
      });
      if (http.status === 401) return;
      last = `HTTP ${http.status}`;
    } catch (error) {
      last = String((error as { cause?: unknown }).cause ?? error);
    }
    await new Promise<void>((done) => setImmediate(done));
  }
  throw new Error(`the bot did not answer a forged POST with 401 within ${READY_DEADLINE_MS} ms: ${last}`);
}

/** Polls Redis until the worker's snapshot of the cluster (what the bot reads) lists pods. */
async function waitForSnapshot(redisUrl: string, prefix: string, worker: BenchChild): Promise<void> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const cache = new ClusterCache(client, prefix);
  const deadline = Date.now() + READY_DEADLINE_MS;
  try {
    while (Date.now() < deadline) {
      if (!worker.running) await worker.crashed;
      const snapshot = await cache.read(CLUSTER);
      if (snapshot !== undefined && snapshot.state.pods.length > 0) return;
      await new Promise<void>((done) => setImmediate(done));
    }
    throw new Error(`the worker wrote no cluster snapshot within ${READY_DEADLINE_MS} ms`);
  } finally {
    client.disconnect();
  }
}

export async function startProcessPlane(): Promise<ProcessPlane> {
  for (const script of [BOT_MAIN, WORKER_MAIN]) {
    if (!existsSync(script)) throw new Error(`${script} is missing: build first (npm run build)`);
  }
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'netpol-bench-'));
  const children: BenchChild[] = [];
  let redis: TestRedis | undefined;
  let redisPid: number | undefined;
  let slack: SlackWebApiStandIn | undefined;
  let kube: KubeApiStandIn | undefined;

  const killAll = (): void => {
    for (const child of children) child.killNow();
    if (redisPid !== undefined) {
      try {
        process.kill(redisPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const close = async (): Promise<void> => {
    await Promise.all(children.map((child) => child.stop()));
    await kube?.close();
    await slack?.close();
    await redis?.stop();
    redisPid = undefined; // stopped: the pid may belong to another process by now
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    redis = await startRedis();
    redisPid = await redisServerPid(redis.url);
    slack = await SlackWebApiStandIn.start({ usergroups: { [SRE_GROUP]: [CAROL] } });
    kube = await startKubeApiStandIn({ initial: REFERENCE_OBJECTS });
    const kubeconfig = join(dir, 'kubeconfig');
    await kube.writeKubeconfig(kubeconfig);
    const botPort = await freePort();
    const eventsUrl = `http://127.0.0.1:${botPort}/slack/events`;

    const workerEnv = {
      KUBECONFIG: kubeconfig,
      REDIS_URL: redis.url,
      NETPOL_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      // Any free loopback port: the default (9465) may be taken on a shared machine.
      NETPOL_METRICS_PORT: '0',
      NETPOL_METRICS_HOST: '127.0.0.1',
    };
    const workerArgs = ['--cluster', CLUSTER];
    const workerConcurrency = loadWorkerConfig(workerEnv, workerArgs).concurrency;
    const worker = new BenchChild('worker', WORKER_MAIN, workerArgs, workerEnv, dir);
    children.push(worker);
    const bot = new BenchChild(
      'bot',
      BOT_MAIN,
      [],
      {
        SLACK_BOT_TOKEN: TEST_BOT.token,
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL: redis.url,
        PORT: String(botPort),
        NETPOL_APPROVAL_CHANNEL: APPROVAL_CHANNEL,
        NETPOL_APPROVERS: BOB,
        NETPOL_CLUSTERS: CLUSTER,
        NETPOL_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        NETPOL_METRICS_PORT: '0',
        NETPOL_METRICS_HOST: '127.0.0.1',
      },
      dir,
    );
    children.push(bot);
    await Promise.all([waitForBolt(eventsUrl, bot), waitForSnapshot(redis.url, prefix, worker)]);

    const standIn = slack;
    const crashed = Promise.race([bot.crashed, worker.crashed]);
    crashed.catch(() => undefined); // the caller races it; a crash after that must not be unhandled
    const processes: Record<string, number> = { bot: bot.pid, worker: worker.pid };
    if (redisPid !== undefined) processes.redis = redisPid;
    return {
      slack,
      kube,
      eventsUrl,
      replyOn(id: string, timeoutMs = 5000): Promise<ResponseUrlPost> {
        return standIn.waitForResponseUrlPost((post) => post.id === id, timeoutMs);
      },
      redis,
      redisPid,
      prefix,
      cluster: CLUSTER,
      botPort,
      workerConcurrency,
      processes,
      children: () => children.map((child) => child.summary()),
      crashed,
      close,
      killAll,
    };
  } catch (error) {
    await close().catch(() => killAll());
    throw error;
  }
}
