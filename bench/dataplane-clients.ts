/**
 * The dataplane bench's own TCP clients, run inside a pod namespace (`ip netns exec NS node -e`):
 *
 * - measureConnects: new connections one after the other for a given time (connect, then RST so
 *   no TIME_WAIT piles up), reporting connections a second and the p50/p99 of connect() to
 *   established. New connections are where rule lookups happen: established flows pass on
 *   conntrack, in our programs and in iptables alike.
 * - ConnectBatches: the same connect loop, long-lived and driven batch by batch (a line on stdin
 *   asks for N connects, a line on stdout returns their connect() times), so the A/B comparison
 *   (dataplane-ab.ts) interleaves several pod pairs' connects within the same seconds.
 * - WireProbe: a new connection every INTERVAL_MS, each reported with its send time
 *   (CLOCK_MONOTONIC, the same clock as this process's hrtime) and whether it connected within
 *   TIMEOUT_MS. Each attempt is a new flow, so it meets the rules of that moment.
 *
 * Both sides read process.hrtime.bigint(), which libuv takes from CLOCK_MONOTONIC: one clock for
 * every process on the machine, network namespaces included.
 */
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';

import { RT_PRIORITY } from './dataplane-tools';

const run = promisify(execFile);

const CONNECT_SOURCE = String.raw`
const net = require('node:net');
const host = process.env.TARGET_HOST, port = Number(process.env.TARGET_PORT);
const runNs = BigInt(process.env.DURATION_MS) * 1000000n;
let warmup = Number(process.env.WARMUP_CONNECTIONS);
const samples = [];
let deadline = 0n;
function one() {
  const now = process.hrtime.bigint();
  if (warmup === 0 && deadline === 0n) deadline = now + runNs;
  if (deadline !== 0n && now >= deadline) return done();
  const socket = net.connect({ host, port });
  socket.setTimeout(2000, () => { console.error('connect timed out'); process.exit(1); });
  socket.once('error', (err) => { console.error(String(err)); process.exit(1); });
  socket.once('connect', () => {
    const us = Number(process.hrtime.bigint() - now) / 1000;
    if (warmup > 0) warmup--; else samples.push(us);
    socket.resetAndDestroy();
    one();
  });
}
function done() {
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)];
  const seconds = Number(runNs) / 1e9;
  process.stdout.write(JSON.stringify({ connections: samples.length, perSecond: samples.length / seconds,
    p50Us: at(0.5), p99Us: at(0.99) }) + '\n');
}
one();
`;

const PROBE_SOURCE = String.raw`
const net = require('node:net');
const host = process.env.TARGET_HOST, port = Number(process.env.TARGET_PORT);
const timeoutMs = Number(process.env.TIMEOUT_MS);
setInterval(() => {
  const sent = process.hrtime.bigint();
  const socket = net.connect({ host, port });
  let settled = false;
  const finish = (ok) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (ok) socket.resetAndDestroy(); else socket.destroy();
    process.stdout.write(sent + ' ' + (ok ? 1 : 0) + '\n');
  };
  const timer = setTimeout(() => finish(false), timeoutMs);
  socket.once('connect', () => finish(true));
  socket.once('error', () => finish(false));
}, Number(process.env.INTERVAL_MS));
`;

export interface ConnectResult {
  readonly connections: number;
  readonly perSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

export async function measureConnects(options: {
  readonly netns: string;
  readonly host: string;
  readonly port: number;
  readonly seconds: number;
  /** Pin the client to this CPU (taskset). */
  readonly cpu?: number;
  /** Run the client at real-time priority (chrt -f; dataplane-tools.ts, RT_PRIORITY). */
  readonly rt?: boolean;
}): Promise<ConnectResult> {
  const pin = [
    ...(options.cpu === undefined ? [] : ['taskset', '-c', String(options.cpu)]),
    ...(options.rt ? ['chrt', '-f', String(RT_PRIORITY)] : []),
  ];
  const { stdout } = await run(
    'ip',
    ['netns', 'exec', options.netns, ...pin, process.execPath, '-e', CONNECT_SOURCE],
    {
      env: {
        ...process.env,
        TARGET_HOST: options.host,
        TARGET_PORT: String(options.port),
        DURATION_MS: String(Math.round(options.seconds * 1000)),
        WARMUP_CONNECTIONS: '200',
      },
      timeout: (options.seconds + 30) * 1000,
    },
  );
  return JSON.parse(stdout) as ConnectResult;
}

const BATCH_SOURCE = String.raw`
const net = require('node:net');
const readline = require('node:readline');
const host = process.env.TARGET_HOST, port = Number(process.env.TARGET_PORT);
const queue = [];
let running = false;
function batch(count) {
  const samples = [];
  const one = () => {
    if (samples.length === count) {
      process.stdout.write(samples.map((us) => us.toFixed(2)).join(',') + '\n');
      running = false;
      return next();
    }
    const now = process.hrtime.bigint();
    const socket = net.connect({ host, port });
    socket.setTimeout(2000, () => { console.error('connect to ' + host + ':' + port + ' timed out'); process.exit(1); });
    socket.once('error', (err) => { console.error(host + ':' + port + ': ' + String(err)); process.exit(1); });
    socket.once('connect', () => {
      samples.push(Number(process.hrtime.bigint() - now) / 1000);
      socket.resetAndDestroy();
      one();
    });
  };
  running = true;
  one();
}
function next() {
  if (!running && queue.length > 0) batch(queue.shift());
}
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  queue.push(Number(line));
  next();
});
`;

/**
 * A connect loop in a pod namespace that runs one batch of connects at a time, on request: batch(n)
 * resolves with the n connect()-to-established times in microseconds. One batch at a time (the
 * caller awaits each), so the caller decides which pair's connects run when.
 */
export class ConnectBatches {
  private readonly pending: { resolve: (us: number[]) => void; reject: (err: Error) => void }[] = [];
  private exited: Error | null = null;

  private constructor(
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
    private readonly target: string,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.pending.shift()?.resolve(line.split(',').map(Number));
    });
    child.once('exit', (code, signal) => {
      this.exited = new Error(`the connect loop to ${target} exited (${code ?? signal})`);
      for (const waiter of this.pending.splice(0)) waiter.reject(this.exited);
    });
  }

  static start(options: {
    readonly netns: string;
    readonly host: string;
    readonly port: number;
    readonly cpu?: number;
    readonly rt?: boolean;
  }): ConnectBatches {
    const pin = [
      ...(options.cpu === undefined ? [] : ['taskset', '-c', String(options.cpu)]),
      ...(options.rt ? ['chrt', '-f', String(RT_PRIORITY)] : []),
    ];
    const child = spawn(
      'ip',
      ['netns', 'exec', options.netns, ...pin, process.execPath, '-e', BATCH_SOURCE],
      {
        env: { ...process.env, TARGET_HOST: options.host, TARGET_PORT: String(options.port) },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    return new ConnectBatches(child, `${options.host}:${options.port}`);
  }

  batch(count: number): Promise<number[]> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(`${count}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

export interface ProbeAttempt {
  /** CLOCK_MONOTONIC nanoseconds when connect() was called. */
  readonly sentNs: bigint;
  readonly ok: boolean;
}

/** A running probe loop; attempts accumulate until take() removes them. */
export class WireProbe {
  private attempts: ProbeAttempt[] = [];
  private latestSentNs = 0n;
  private waiter: { untilNs: bigint; resolve: () => void } | null = null;

  private constructor(
    private readonly child: ChildProcessByStdio<null, Readable, null>,
    readonly timeoutMs: number,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [sent, ok] = line.split(' ');
      const sentNs = BigInt(sent!);
      this.attempts.push({ sentNs, ok: ok === '1' });
      if (sentNs > this.latestSentNs) this.latestSentNs = sentNs;
      if (this.waiter && this.latestSentNs >= this.waiter.untilNs) {
        this.waiter.resolve();
        this.waiter = null;
      }
    });
  }

  static start(options: {
    readonly netns: string;
    readonly host: string;
    readonly port: number;
    readonly intervalMs: number;
    readonly timeoutMs: number;
  }): WireProbe {
    const child = spawn('ip', ['netns', 'exec', options.netns, process.execPath, '-e', PROBE_SOURCE], {
      env: {
        ...process.env,
        TARGET_HOST: options.host,
        TARGET_PORT: String(options.port),
        INTERVAL_MS: String(options.intervalMs),
        TIMEOUT_MS: String(options.timeoutMs),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return new WireProbe(child, options.timeoutMs);
  }

  /**
   * Resolves once every attempt sent up to `untilNs` has reported: an attempt sent after
   * untilNs + timeout has reported, and none takes longer than the timeout to report.
   */
  settled(untilNs: bigint, deadlineMs: number): Promise<void> {
    const target = untilNs + BigInt(this.timeoutMs + 5) * 1_000_000n;
    if (this.latestSentNs >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`the probe loop reported nothing past ${target} within ${deadlineMs} ms`));
      }, deadlineMs);
      this.waiter = {
        untilNs: target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  /** Removes and returns the attempts reported so far, in send order. */
  take(): ProbeAttempt[] {
    const taken = this.attempts.sort((a, b) => (a.sentNs < b.sentNs ? -1 : a.sentNs > b.sentNs ? 1 : 0));
    this.attempts = [];
    return taken;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

export interface ToggleSample {
  /** From the change's start (the call) to the send time of the first probe with the new verdict. */
  readonly fromCallMs: number;
  /** From the change call's return to that probe (negative: live before the call returned). */
  readonly fromReturnMs: number;
  /** How long the change call took. */
  readonly callMs: number;
}

/**
 * Judges one verdict change under a running WireProbe: the first probe sent after the last probe
 * with the old verdict (within the window) that has the new one. Returns null when the new verdict
 * did not show within `windowMs` after the call returned (a miss), and counts strays: probes after
 * the window still with the old verdict.
 */
export function judgeToggle(
  attempts: readonly ProbeAttempt[],
  expectOk: boolean,
  callNs: bigint,
  returnNs: bigint,
  windowMs: number,
): { sample: ToggleSample | null; strays: number } {
  const windowEnd = returnNs + BigInt(windowMs) * 1_000_000n;
  let lastOld = -1;
  attempts.forEach((attempt, index) => {
    if (attempt.ok !== expectOk && attempt.sentNs <= windowEnd) lastOld = index;
  });
  const first = attempts.slice(lastOld + 1).find((attempt) => attempt.ok === expectOk);
  const strays = attempts.filter((attempt) => attempt.ok !== expectOk && attempt.sentNs > windowEnd).length;
  if (!first || first.sentNs > windowEnd) return { sample: null, strays };
  return {
    sample: {
      fromCallMs: Number(first.sentNs - callNs) / 1e6,
      fromReturnMs: Number(first.sentNs - returnNs) / 1e6,
      callMs: Number(returnNs - callNs) / 1e6,
    },
    strays,
  };
}
