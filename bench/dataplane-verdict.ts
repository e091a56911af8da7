/**
 * The dataplane bench's verdict on a noisy shared machine: per-round ratios (a setup against (a) of
 * the same round) reduced to their median, a distribution-free 95% confidence interval of that
 * median, and the whole spread. The interval uses order statistics only (the number of ratios
 * below the true median is binomial(n, 1/2)), so it assumes nothing about the noise's shape: with
 * 15 rounds it runs from the 4th to the 12th smallest ratio. A verdict is trustworthy when that
 * interval is narrow (the bench prints its half-width), not when one run's median looks good.
 */

export interface RatioSummary {
  readonly n: number;
  readonly median: number;
  /** The 95% confidence interval of the median ([min, max] below 6 rounds: less than 95%). */
  readonly low: number;
  readonly high: number;
  readonly min: number;
  readonly max: number;
}

/** P(X <= k) for X ~ binomial(n, 1/2). */
function binomialCdf(n: number, k: number): number {
  let term = 0.5 ** n; // C(n, 0) / 2^n
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += term;
    term = (term * (n - i)) / (i + 1);
  }
  return sum;
}

export function ratioSummary(ratios: readonly number[]): RatioSummary {
  if (ratios.length === 0) throw new Error('no rounds to summarise');
  const sorted = [...ratios].sort((a, b) => a - b);
  const n = sorted.length;
  // The largest k with P(X <= k - 1) <= 2.5%: the interval is [x(k), x(n - k + 1)], 1-based.
  let k = 1;
  while (k + 1 <= n && binomialCdf(n, k) <= 0.025) k++;
  return {
    n,
    median: sorted[Math.floor(n / 2)]!,
    low: sorted[k - 1]!,
    high: sorted[n - k]!,
    min: sorted[0]!,
    max: sorted[n - 1]!,
  };
}

/** "1.043 (95% CI 1.031-1.052, rounds 0.990-1.110)". */
export function formatRatio(summary: RatioSummary): string {
  const f = (value: number) => value.toFixed(3);
  return `${f(summary.median)} (CI ${f(summary.low)}-${f(summary.high)}; all ${f(summary.min)}-${f(summary.max)})`;
}
