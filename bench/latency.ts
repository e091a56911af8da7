/**
 * Latency helpers for the end-to-end benches: millisecond samples (performance.now differences)
 * reduced to nearest-rank percentiles, a fixed-concurrency runner, the load over a phase (this
 * process's event loop, and the CPU time of this and other processes, from /proc on Linux), and a
 * plain-text table with the ratio to a baseline and a target verdict.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { formatMs, textTable } from './stats';

export interface LatencySummary {
  count: number;
  medianMs: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentiles, as bench/stats.ts computes them (p99 of 50 samples is the maximum). */
export function summariseMs(samples: readonly number[]): LatencySummary {
  const ms = [...samples].sort((a, b) => a - b);
  if (ms.length === 0) throw new Error('no samples');
  const at = (q: number): number => ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]!;
  return { count: ms.length, medianMs: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: ms[ms.length - 1]! };
}

/**
 * Runs `total` operations from `clients` concurrent clients: client c runs its contiguous share of
 * the indices one after the other, as a person waits for each answer before typing the next command.
 */
export async function runClients(
  total: number,
  clients: number,
  operation: (index: number) => Promise<void>,
): Promise<void> {
  const share = Math.ceil(total / clients);
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c * share; i < Math.min(total, (c + 1) * share); i++) await operation(i);
    }),
  );
}

export interface PhaseLoad {
  /** Share of the phase's wall time this process's event loop was busy. */
  eventLoopBusy: number;
  /** p99 of this process's event loop scheduling delay: the queueing any callback saw. */
  loopDelayP99Ms: number;
  /**
   * CPU time used during the phase, as a share of one core (1 = one core all the time), by name:
   * `bench` (this process) and the processes passed to underLoad, where /proc can be read.
   */
  cpu: Record<string, number>;
}

/** Other processes to account CPU time to over a phase: name -> pid. */
export type ProcessIds = Readonly<Record<string, number>>;

let clockTicks: number | undefined;

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat's times. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds of a process so far (10 ms resolution), or undefined off Linux or once it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces; fields after it start with the state (field 3).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / ticksPerSecond() : undefined;
}

const ownCpuSeconds = (): number => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
};

/** Runs `run` and reports how loaded this process's event loop was meanwhile, and every process's CPU. */
export async function underLoad(run: () => Promise<void>, processes: ProcessIds = {}): Promise<PhaseLoad> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const cpuBefore = new Map(Object.entries(processes).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  const ownBefore = ownCpuSeconds();
  const started = performance.now();
  const before = performance.eventLoopUtilization();
  delay.enable();
  await run();
  delay.disable();
  const used = performance.eventLoopUtilization(before);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu: Record<string, number> = { bench: (ownCpuSeconds() - ownBefore) / wallSeconds };
  for (const [name, pid] of Object.entries(processes)) {
    const start = cpuBefore.get(name);
    const end = cpuSecondsOf(pid);
    if (start !== undefined && end !== undefined) cpu[name] = (end - start) / wallSeconds;
  }
  return { eventLoopBusy: used.utilization, loopDelayP99Ms: delay.percentile(99) / 1e6, cpu };
}

export function formatLoad(load: PhaseLoad): string {
  const cpu = Object.entries(load.cpu)
    .map(([name, share]) => `${name} ${(share * 100).toFixed(0)}%`)
    .join(', ');
  return (
    `event loop busy ${(load.eventLoopBusy * 100).toFixed(0)}%, ` +
    `loop delay p99 ${load.loopDelayP99Ms.toFixed(1)} ms; CPU (% of one core): ${cpu}`
  );
}

export interface LatencyRow {
  name: string;
  summary: LatencySummary;
  /** Median of the baseline the ratio is taken against; omitted for the baseline itself. */
  baselineMedianMs?: number;
  /** The target on p99, if there is one. */
  targetP99Ms?: number;
}

export function meetsTarget(row: LatencyRow): boolean | undefined {
  return row.targetP99Ms === undefined ? undefined : row.summary.p99Ms < row.targetP99Ms;
}

export function latencyTable(rows: readonly LatencyRow[]): string {
  const header = ['measurement', 'n', 'median ms', 'p90 ms', 'p99 ms', 'max ms', 'median/base', 'target'];
  const body = rows.map((r) => {
    const met = meetsTarget(r);
    return [
      r.name,
      String(r.summary.count),
      formatMs(r.summary.medianMs),
      formatMs(r.summary.p90Ms),
      formatMs(r.summary.p99Ms),
      formatMs(r.summary.maxMs),
      r.baselineMedianMs === undefined ? '' : `${(r.summary.medianMs / r.baselineMedianMs).toFixed(1)}x`,
      met === undefined ? '' : `p99 < ${r.targetP99Ms} ms: ${met ? 'met' : 'MISSED'}`,
    ];
  });
  return textTable(header, body);
}
