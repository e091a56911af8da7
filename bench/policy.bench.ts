/**
 * `npm run bench:policy`: how fast the evaluator answers on a realistic cluster of 1,000 pods in 50
 * namespaces under 1,000 NetworkPolicies. Measures building the index, the full 1,000 x 1,000 matrix
 * on TCP/80 (computing it, and computing plus reading every pair), single connections, and every
 * pod's compiled ingress set, each repeated; prints medians, p90, min and max, a baseline measured
 * in the same run (a trivial check over the same 1,000,000 pairs) and the ratio to it, then one
 * JSON line with the medians. Also cross-checks the matrix against evaluateConnection on a sample
 * of pairs and exits non-zero on any disagreement. Deterministic input; well under a minute.
 */
import {
  buildPolicyIndex,
  compilePodIngress,
  computeMatrix,
  evaluateConnection,
  type TrafficEndpoint,
} from '../src/core/evaluator';
import type { PodInfo } from '../src/core/state/cluster-state';
import { generateState, prng } from './generate-state';
import { type Summary, formatMs, summarise, table, timed } from './stats';

const SHAPE = { seed: 42, namespaces: 50, pods: 1000, policies: 1000 };
const REPS = { index: 30, matrix: 30, baseline: 30, compile: 10, connections: 50_000 };

function main(): void {
  const state = generateState(SHAPE);
  const pods = state.pods;
  const n = pods.length;
  const rows: { name: string; summary: Summary; note?: string }[] = [];

  // Warm up the JIT on every path before measuring.
  for (let i = 0; i < 2; i++) {
    const index = buildPolicyIndex(state);
    computeMatrix(index, { port: 80, protocol: 'TCP' });
    for (const pod of pods) compilePodIngress(index, pod);
  }

  const indexSamples: bigint[] = [];
  for (let r = 0; r < REPS.index; r++) indexSamples.push(timed(() => buildPolicyIndex(state))[1]);
  const index = buildPolicyIndex(state);

  const baselineSamples: bigint[] = [];
  let sink = 0;
  for (let r = 0; r < REPS.baseline; r++) {
    baselineSamples.push(timed(() => (sink += baseline(pods)))[1]);
  }

  const matrixSamples: bigint[] = [];
  const matrixReadSamples: bigint[] = [];
  let allowedPairs = 0;
  for (let r = 0; r < REPS.matrix; r++) {
    matrixSamples.push(timed(() => computeMatrix(index, { port: 80, protocol: 'TCP' }))[1]);
    const [count, ns] = timed(() => {
      const m = computeMatrix(index, { port: 80, protocol: 'TCP' });
      let c = 0;
      for (let from = 0; from < n; from++) for (let to = 0; to < n; to++) if (m.allowed(from, to)) c++;
      return c;
    });
    matrixReadSamples.push(ns);
    allowedPairs = count;
  }

  const compileSamples: bigint[] = [];
  let rules = 0;
  for (let r = 0; r < REPS.compile; r++) {
    for (const pod of index.pods) {
      const [side, ns] = timed(() => compilePodIngress(index, pod));
      compileSamples.push(ns);
      if (r === 0) rules += side.rules.length;
    }
  }

  const rand = prng(7);
  const endpoint = (pod: PodInfo): TrafficEndpoint => ({ kind: 'pod', pod });
  const connectionSamples: bigint[] = [];
  const matrix = computeMatrix(index, { port: 80, protocol: 'TCP' });
  let mismatches = 0;
  for (let k = 0; k < REPS.connections; k++) {
    const from = Math.floor(rand() * n);
    const to = Math.floor(rand() * n);
    const [v, ns] = timed(() =>
      evaluateConnection(index, endpoint(index.pods[from]!), endpoint(index.pods[to]!), 80, 'TCP'),
    );
    connectionSamples.push(ns);
    if (v.allowed !== matrix.allowed(from, to)) mismatches++;
  }

  const base = summarise(baselineSamples);
  const ratio = (s: Summary): string => `${(s.medianMs / base.medianMs).toFixed(1)}x baseline`;
  const matrixSummary = summarise(matrixSamples);
  const matrixReadSummary = summarise(matrixReadSamples);
  rows.push({ name: 'buildPolicyIndex', summary: summarise(indexSamples) });
  rows.push({ name: 'baseline: 1M pairs, trivial check', summary: base });
  rows.push({ name: 'computeMatrix TCP/80', summary: matrixSummary, note: ratio(matrixSummary) });
  rows.push({
    name: 'computeMatrix + read 1M pairs',
    summary: matrixReadSummary,
    note: ratio(matrixReadSummary),
  });
  rows.push({ name: 'compilePodIngress (one pod)', summary: summarise(compileSamples) });
  rows.push({ name: 'evaluateConnection (one pair)', summary: summarise(connectionSamples) });

  const policyCount = state.policies.length;
  const isolatedIn = index.ingressPolicies.filter((l) => l.length > 0).length;
  const isolatedOut = index.egressPolicies.filter((l) => l.length > 0).length;
  console.log(
    `policy bench: ${n} pods, ${state.namespaces.length} namespaces, ${policyCount} policies ` +
      `(seed ${SHAPE.seed}); ${allowedPairs} of ${n * n} pairs allowed on TCP/80; ` +
      `${isolatedIn} pods isolated for ingress, ${isolatedOut} for egress; ` +
      `${rules} compiled ingress rules over all pods; node ${process.version}`,
  );
  console.log('');
  console.log(table(rows));
  console.log('');
  console.log(`matrix vs evaluateConnection on ${REPS.connections} sampled pairs: ${mismatches} mismatches`);
  const medians: Record<string, number> = {};
  for (const r of rows) medians[r.name] = Number(formatMs(r.summary.medianMs));
  console.log(
    JSON.stringify({
      bench: 'policy',
      pods: n,
      namespaces: state.namespaces.length,
      policies: policyCount,
      unit: 'ms',
      medians: {
        buildIndex: summarise(indexSamples).medianMs,
        baselinePairs: base.medianMs,
        matrix: matrixSummary.medianMs,
        matrixRead: matrixReadSummary.medianMs,
        compilePodIngress: summarise(compileSamples).medianMs,
        evaluateConnection: summarise(connectionSamples).medianMs,
      },
      mismatches,
      sink: sink > 0 ? 1 : 0,
    }),
  );
  if (mismatches > 0) process.exitCode = 1;
}

/** The cost of merely visiting every pair, as context for the matrix numbers. */
function baseline(pods: readonly PodInfo[]): number {
  let c = 0;
  for (let i = 0; i < pods.length; i++) {
    const a = pods[i]!;
    for (let j = 0; j < pods.length; j++) if (a.namespace === pods[j]!.namespace) c++;
  }
  return c;
}

main();
