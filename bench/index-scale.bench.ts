/**
 * `npm run build:bench && node dist/bench/index-scale.bench.js [pods...]`: the policy index at
 * cluster scale (issue 8). For 1,000 / 10,000 / 30,000 pods (20 a namespace) with as many
 * policies as pods (bench/generate-state.ts), each size in its own child process so that peak RSS
 * is that size's alone: buildPolicyIndex time and peak RSS, the pre-issue-8 index
 * (bench/legacy-index) in the same run up to LEGACY_MAX pods, LiveIndex.build, and LiveIndex
 * events, p50/p99 per kind with the mean number of sides each reports. Deterministic input.
 */
import { spawnSync } from 'node:child_process';
import { buildPolicyIndex, type IndexEvent, LiveIndex } from '../src/core/evaluator';
import type { NetworkPolicy } from '../src/core/k8s/types';
import type { PodInfo } from '../src/core/state/cluster-state';
import { buildPolicyIndex as buildLegacyIndex } from './legacy-index/policy-index';
import { generateState, prng } from './generate-state';
import { median } from './stats';

const SIZES = [1000, 10_000, 30_000];
const LEGACY_MAX = 10_000;
const EVENTS = 200;

interface ChildResult {
  pods: number;
  policies: number;
  impl: 'new' | 'legacy';
  buildMs: number[];
  peakRssMiB: number;
  /** After buildPolicyIndex, before the LiveIndex. */
  buildPeakRssMiB: number;
  stateRssMiB: number;
  liveBuildMs?: number;
  events?: Record<string, { p50: number; p99: number; meanChanged: number }>;
}

function child(pods: number, impl: 'new' | 'legacy'): ChildResult {
  const state = generateState({
    seed: 42,
    namespaces: Math.max(1, Math.round(pods / 20)),
    pods,
    policies: pods,
  });
  const stateRssMiB = process.memoryUsage().rss / 2 ** 20;
  const reps = pods <= 1000 ? 7 : pods <= 10_000 ? 3 : 1;
  const build = impl === 'new' ? buildPolicyIndex : buildLegacyIndex;
  const buildMs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    build(state);
    buildMs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const result: ChildResult = {
    pods,
    policies: state.policies.length,
    impl,
    buildMs,
    stateRssMiB,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    buildPeakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  if (impl === 'legacy') return result;

  let t = process.hrtime.bigint();
  const live = LiveIndex.build(state);
  result.liveBuildMs = Number(process.hrtime.bigint() - t) / 1e6;
  const rand = prng(9);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const podList = [...state.pods];
  const policyList = [...state.policies];
  const namespaces = state.namespaces;
  const added: PodInfo[] = [];
  const addedPolicies: NetworkPolicy[] = [];
  const kinds: Record<string, (k: number) => IndexEvent> = {
    'pod relabel': () => {
      const p = pick(podList);
      return {
        kind: 'pod-upsert',
        pod: { ...p, labels: { ...p.labels, version: pick(['v1', 'v2', 'v3']) } },
      };
    },
    'pod app change': () => {
      const p = pick(podList);
      return { kind: 'pod-upsert', pod: { ...p, labels: { ...p.labels, app: pick(podList).labels.app! } } };
    },
    'pod IP change': (k) => {
      const p = pick(podList.filter((x) => x.ip !== undefined && !x.hostNetwork).slice(0, 1000));
      return { kind: 'pod-upsert', pod: { ...p, ip: `11.0.${k >> 8}.${k & 255}` } };
    },
    'pod add': (k) => {
      const like = pick(podList);
      const p = { ...like, name: `new-${k}`, ip: `11.1.${k >> 8}.${k & 255}` };
      added.push(p);
      return { kind: 'pod-upsert', pod: p };
    },
    'pod delete': () => {
      const p = added.pop()!;
      return { kind: 'pod-delete', namespace: p.namespace, name: p.name };
    },
    'namespace relabel': () => {
      const ns = pick(namespaces);
      return {
        kind: 'namespace-upsert',
        namespace: { ...ns, labels: { ...ns.labels, team: pick(['ops', 'ads', 'x']) } },
      };
    },
    'policy add': (k) => {
      const like = pick(policyList);
      const p = { ...like, metadata: { ...like.metadata, name: `new-${k}` } };
      addedPolicies.push(p);
      return { kind: 'policy-upsert', policy: p };
    },
    'policy change': () => {
      const p = pick(policyList);
      const spec = {
        ...p.spec,
        ingress: [...(p.spec.ingress ?? []), { ports: [{ port: 1000 + Math.floor(rand() * 1000) }] }],
      };
      return { kind: 'policy-upsert', policy: { ...p, spec } };
    },
    'policy delete': () => {
      const p = addedPolicies.pop()!;
      return { kind: 'policy-delete', namespace: p.metadata.namespace, name: p.metadata.name };
    },
  };
  result.events = {};
  for (const [name, make] of Object.entries(kinds)) {
    const samples: number[] = [];
    let changed = 0;
    for (let k = 0; k < EVENTS; k++) {
      const event = make(k);
      t = process.hrtime.bigint();
      changed += live.apply(event).sides.length;
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    samples.sort((a, b) => a - b);
    result.events[name] = {
      p50: samples[Math.floor(samples.length * 0.5)]!,
      p99: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))]!,
      meanChanged: changed / EVENTS,
    };
  }
  result.peakRssMiB = process.resourceUsage().maxRSS / 1024;
  return result;
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    process.stdout.write(JSON.stringify(child(Number(args[1]), args[2] as 'new' | 'legacy')));
    return;
  }
  const sizes = args.length > 0 ? args.map(Number) : SIZES;
  const run = (pods: number, impl: string): ChildResult | string => {
    const r = spawnSync(
      process.execPath,
      ['--max-old-space-size=8192', __filename, '--child', String(pods), impl],
      {
        encoding: 'utf8',
        timeout: 600_000,
      },
    );
    if (r.status !== 0) return `failed (${r.signal ?? `exit ${r.status}`}): ${r.stderr.slice(-300)}`;
    return JSON.parse(r.stdout) as ChildResult;
  };
  console.log(`index scale bench: policies = pods, 20 pods a namespace, seed 42; node ${process.version}`);
  const rows: string[] = [];
  const all: unknown[] = [];
  for (const pods of sizes) {
    const fresh = run(pods, 'new');
    const legacy = pods <= LEGACY_MAX ? run(pods, 'legacy') : 'skipped';
    all.push({ pods, fresh, legacy });
    if (typeof fresh === 'string') {
      rows.push(`${pods}: ${fresh}`);
      continue;
    }
    const old =
      typeof legacy === 'string'
        ? legacy
        : `${median(legacy.buildMs).toFixed(0)} ms, peak RSS ${legacy.peakRssMiB.toFixed(0)} MiB`;
    rows.push(
      `${pods} pods x ${fresh.policies} policies: buildPolicyIndex ${median(fresh.buildMs).toFixed(1)} ms ` +
        `(state alone ${fresh.stateRssMiB.toFixed(0)} MiB RSS, peak ${fresh.buildPeakRssMiB.toFixed(0)} MiB; with live index and events ` +
        `${fresh.peakRssMiB.toFixed(0)} MiB); before issue 8: ${old}; LiveIndex.build ${fresh.liveBuildMs!.toFixed(0)} ms`,
    );
    for (const [kind, e] of Object.entries(fresh.events!)) {
      rows.push(
        `    ${kind.padEnd(18)} p50 ${e.p50.toFixed(3).padStart(8)} ms  p99 ${e.p99.toFixed(3).padStart(8)} ms  ` +
          `sides reported ${e.meanChanged.toFixed(1)} on average`,
      );
    }
  }
  console.log(rows.join('\n'));
  console.log(JSON.stringify({ bench: 'index-scale', results: all }));
}

main();
