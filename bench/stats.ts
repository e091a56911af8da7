/**
 * Timing helpers for the benchmarks: monotonic nanosecond samples (process.hrtime.bigint) reduced
 * to order statistics, and a plain-text table. No clock is read anywhere else in the benches.
 */

export interface Summary {
  samples: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
}

/** Runs `fn` and returns its result and the elapsed nanoseconds. */
export function timed<T>(fn: () => T): [T, bigint] {
  const start = process.hrtime.bigint();
  const result = fn();
  return [result, process.hrtime.bigint() - start];
}

export function summarise(samplesNs: readonly bigint[]): Summary {
  const ms = samplesNs.map((ns) => Number(ns) / 1e6).sort((a, b) => a - b);
  if (ms.length === 0) throw new Error('no samples');
  const at = (q: number): number => ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]!;
  return { samples: ms.length, medianMs: at(0.5), p90Ms: at(0.9), minMs: ms[0]!, maxMs: ms[ms.length - 1]! };
}

/** The middle sample (the upper one of an even count), as every bench reports it. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('no samples');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function formatMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(4);
}

export function table(rows: { name: string; summary: Summary; note?: string }[]): string {
  const header = ['measurement', 'n', 'median ms', 'p90 ms', 'min ms', 'max ms', 'note'];
  const body = rows.map((r) => [
    r.name,
    String(r.summary.samples),
    formatMs(r.summary.medianMs),
    formatMs(r.summary.p90Ms),
    formatMs(r.summary.minMs),
    formatMs(r.summary.maxMs),
    r.note ?? '',
  ]);
  return textTable(header, body);
}

/** A plain-text table: first and last columns left-aligned, numbers between them right-aligned. */
export function textTable(header: readonly string[], body: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** A seeded 32-bit generator (mulberry32): bootstrap intervals that a rerun on the same data repeats. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The percentile bootstrap's 95% intervals of statistics over `units` independent units (batches,
 * rounds): each resample draws `units` indices with replacement and `statistics` reads the units it
 * is given (an index may repeat), returning one value per statistic. Resampling whole units keeps
 * whatever they share (samples measured in the same seconds) together.
 */
export function bootstrapIntervals(
  units: number,
  statistics: (indices: readonly number[]) => readonly number[],
  options: { resamples?: number; seed?: number } = {},
): { low: number; high: number }[] {
  if (units === 0) throw new Error('no units to resample');
  const resamples = options.resamples ?? 1_000;
  const random = seededRandom(options.seed ?? 1);
  const values: Float64Array[] = [];
  const indices: number[] = new Array<number>(units);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < units; i++) indices[i] = Math.floor(random() * units);
    statistics(indices).forEach((value, k) => {
      values[k] ??= new Float64Array(resamples);
      values[k][r] = value;
    });
  }
  return values.map((column) => {
    column.sort();
    const at = (q: number) => column[Math.round(q * (resamples - 1))]!;
    return { low: at(0.025), high: at(0.975) };
  });
}

/** The q-quantile (nearest rank, as summarise) of an ascending array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new Error('no samples');
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
