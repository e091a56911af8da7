/**
 * Latency helpers for the end-to-end benches: millisecond samples (performance.now differences)
 * reduced to nearest-rank percentiles, a fixed-concurrency runner, the event loop's load over a
 * phase, and a plain-text table with the ratio to a baseline and a target verdict.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { formatMs } from './stats';

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
  /** Share of the phase's wall time the event loop was busy. */
  eventLoopBusy: number;
  /** p99 of the event loop's scheduling delay: the queueing any callback saw. */
  loopDelayP99Ms: number;
}

/** Runs `run` and reports how loaded this process's event loop was meanwhile. */
export async function underLoad(run: () => Promise<void>): Promise<PhaseLoad> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const before = performance.eventLoopUtilization();
  delay.enable();
  await run();
  delay.disable();
  const used = performance.eventLoopUtilization(before);
  return { eventLoopBusy: used.utilization, loopDelayP99Ms: delay.percentile(99) / 1e6 };
}

export function formatLoad(load: PhaseLoad): string {
  return (
    `event loop busy ${(load.eventLoopBusy * 100).toFixed(0)}%, ` +
    `loop delay p99 ${load.loopDelayP99Ms.toFixed(1)} ms`
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
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
