/**
 * What one child process of the scale benchmark measures (bench/scale.bench.ts runs each in its own
 * process, so peak RSS is that measurement's alone): reading and parsing a state file, then either
 * the immutable index (buildPolicyIndex, and computeMatrix where the row asks for it) or the
 * LiveIndex (its build, and events of each kind applied one at a time, each followed by the work
 * a consumer of the report does, as the node agent does: the structure of every side it reports
 * recompiled (LiveIndex.structure), its selector deltas applied to the consumer's own member sets,
 * released selectors dropped, changed pods re-read). Events are deterministic (seeded). Each kind
 * stops after EVENTS events or once applying them took EVENT_BUDGET_MS; consuming stops once it
 * took half that (later events are applied only, so apply keeps its samples even where one
 * report costs more than the whole budget).
 */
import { readFileSync } from 'node:fs';
import {
  buildPolicyIndex,
  computeMatrix,
  type IndexEvent,
  type IndexReport,
  LiveIndex,
} from '../src/core/evaluator';
import { selectorMatches } from '../src/core/k8s/label-selector';
import type { NetworkPolicy } from '../src/core/k8s/types';
import type { ClusterState, PodInfo } from '../src/core/state/cluster-state';
import { parseState } from '../src/core/state/load-state';
import { prng } from './generate-state';
import { type LatencySummary, summariseMs } from './latency';

const EVENTS = 200;
const EVENT_BUDGET_MS = 15_000;
/** The bound for "a policy event selecting up to 1,000 pods". */
const POLICY_EVENT_PODS = 1000;

export interface EventKindResult {
  /** Applying the event alone. */
  apply: LatencySummary;
  /** Applying it and consuming its report (structures recompiled, deltas applied). */
  applyAndRecompile: LatencySummary;
  /** Sides whose structure the event changed, mean. */
  meanSides: number;
  /** Pods entering or leaving selectors (the deltas' lengths), mean. */
  meanDeltaPods: number;
  /** For the bounded policy kind: the mean number of pods the changed policies select. */
  meanSelected?: number;
}

export interface IndexChildResult {
  parseMs: number;
  parsedRssMiB: number;
  buildMs: number;
  buildPeakRssMiB: number;
  matrixMs?: number;
  peakRssMiB: number;
}

export interface LiveChildResult {
  parseMs: number;
  buildMs: number;
  buildPeakRssMiB: number;
  events: Record<string, EventKindResult>;
  peakRssMiB: number;
}

const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function parseFile(file: string): { state: ClusterState; parseMs: number } {
  const start = process.hrtime.bigint();
  const state = parseState(readFileSync(file, 'utf8'), file);
  return { state, parseMs: elapsedMs(start) };
}

export function indexChild(file: string, withMatrix: boolean): IndexChildResult {
  const { state, parseMs } = parseFile(file);
  const parsedRssMiB = process.memoryUsage().rss / 2 ** 20;
  let start = process.hrtime.bigint();
  const index = buildPolicyIndex(state);
  const buildMs = elapsedMs(start);
  const buildPeakRssMiB = peakRssMiB();
  let matrixMs: number | undefined;
  if (withMatrix) {
    start = process.hrtime.bigint();
    computeMatrix(index, { port: 80, protocol: 'TCP' });
    matrixMs = elapsedMs(start);
  }
  return { parseMs, parsedRssMiB, buildMs, buildPeakRssMiB, matrixMs, peakRssMiB: peakRssMiB() };
}

export function liveChild(file: string): LiveChildResult {
  const { state, parseMs } = parseFile(file);
  const start = process.hrtime.bigint();
  const live = LiveIndex.build(state);
  const buildMs = elapsedMs(start);
  const buildPeakRssMiB = peakRssMiB();
  const events: Record<string, EventKindResult> = {};
  for (const [kind, source] of Object.entries(eventSources(state))) {
    events[kind] = measureKind(live, source);
  }
  return { parseMs, buildMs, buildPeakRssMiB, events, peakRssMiB: peakRssMiB() };
}

interface EventSource {
  next(k: number): IndexEvent;
  /** Pods the policy of event k selects, for the bounded policy kind. */
  selected?: (k: number) => number;
}

/** What a consumer of LiveIndex reports keeps besides the structures: each selector's members. */
class ReportConsumer {
  private readonly members = new Map<number, Set<string>>();

  /** Does what a consumer does with `report`; returns the number of pods its deltas moved. */
  consume(live: LiveIndex, report: IndexReport): number {
    for (const { pod, direction } of report.sides) {
      // A deleted pod's sides are reported too: the consumer drops them, there is nothing to compile.
      if (live.has(pod)) live.structure(pod, direction);
    }
    let moved = 0;
    for (const { selector, entered, left } of report.selectors) {
      let set = this.members.get(selector);
      if (set === undefined) this.members.set(selector, (set = new Set()));
      for (const pod of left) set.delete(pod);
      for (const pod of entered) set.add(pod);
      moved += entered.length + left.length;
    }
    for (const id of report.released) this.members.delete(id);
    for (const pod of report.pods) live.pod(pod);
    return moved;
  }
}

function measureKind(live: LiveIndex, source: EventSource): EventKindResult {
  const apply: number[] = [];
  const total: number[] = [];
  const consumer = new ReportConsumer();
  let sides = 0;
  let deltaPods = 0;
  let selected = 0;
  let applying = 0;
  let consuming = 0;
  for (let k = 0; k < EVENTS && applying < EVENT_BUDGET_MS; k++) {
    const event = source.next(k);
    const start = process.hrtime.bigint();
    const report = live.apply(event);
    apply.push(elapsedMs(start));
    applying += apply[apply.length - 1]!;
    // Consuming can cost more than applying: once it has used its share of the budget, later
    // events are applied (and timed) without it, so apply still gets its samples.
    if (k === 0 || consuming < EVENT_BUDGET_MS / 2) {
      deltaPods += consumer.consume(live, report);
      total.push(elapsedMs(start));
      consuming += total[total.length - 1]! - apply[apply.length - 1]!;
    }
    sides += report.sides.length;
    selected += source.selected?.(k) ?? 0;
  }
  return {
    apply: summariseMs(apply),
    applyAndRecompile: summariseMs(total),
    meanSides: sides / apply.length,
    meanDeltaPods: deltaPods / total.length,
    ...(source.selected === undefined ? {} : { meanSelected: selected / apply.length }),
  };
}

/** The event kinds, in the order they run (deletes remove what the adds before them added). */
function eventSources(state: ClusterState): Record<string, EventSource> {
  const rand = prng(9);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const pods = state.pods.filter((p) => !p.hostNetwork && p.ip !== undefined);
  const added: PodInfo[] = [];
  const addedPolicies: NetworkPolicy[] = [];
  const withPort = (p: NetworkPolicy, k: number): NetworkPolicy => ({
    ...p,
    spec: { ...p.spec, ingress: [...(p.spec.ingress ?? []), { ports: [{ port: 1000 + (k % 1000) }] }] },
  });
  const bounded = policiesSelectingUpTo(state, POLICY_EVENT_PODS);
  return {
    'pod add': {
      next: (k) => {
        const like = pick(pods);
        const p = { ...like, name: `${like.name}-new-${k}`, ip: `11.1.${k >> 8}.${k & 255}` };
        added.push(p);
        return { kind: 'pod-upsert', pod: p };
      },
    },
    'pod delete': {
      next: () => {
        const p = added.pop() ?? pick(pods);
        return { kind: 'pod-delete', namespace: p.namespace, name: p.name };
      },
    },
    'pod relabel (rollout)': {
      next: (k) => {
        const p = pick(pods);
        const labels = { ...p.labels, version: `v${3 + (k % 3)}`, 'pod-template-hash': `r${k}` };
        return { kind: 'pod-upsert', pod: { ...p, labels } };
      },
    },
    'pod relabel (app)': {
      next: () => {
        const i = Math.floor(rand() * pods.length);
        const p = pods[i]!;
        const neighbour = pods[Math.min(pods.length - 1, i + 7)]!;
        const app = neighbour.namespace === p.namespace ? neighbour.labels.app : `${p.labels.app}-b`;
        return { kind: 'pod-upsert', pod: { ...p, labels: { ...p.labels, app: app ?? 'other' } } };
      },
    },
    'namespace relabel': {
      next: () => {
        const ns = pick(state.namespaces);
        return {
          kind: 'namespace-upsert',
          namespace: { ...ns, labels: { ...ns.labels, team: pick(['ads', 'data', 'search', 'x']) } },
        };
      },
    },
    'policy add': {
      next: (k) => {
        const like = pick(state.policies);
        const p = { ...like, metadata: { ...like.metadata, name: `${like.metadata.name}-new-${k}` } };
        addedPolicies.push(p);
        return { kind: 'policy-upsert', policy: p };
      },
    },
    'policy change': {
      next: (k) => ({ kind: 'policy-upsert', policy: withPort(pick(state.policies), k) }),
    },
    'policy delete': {
      next: () => {
        const p = addedPolicies.pop() ?? pick(state.policies);
        return { kind: 'policy-delete', namespace: p.metadata.namespace, name: p.metadata.name };
      },
    },
    [`policy change (<= ${POLICY_EVENT_PODS} pods)`]: {
      next: (k) => ({ kind: 'policy-upsert', policy: withPort(bounded[k % bounded.length]!.policy, k) }),
      selected: (k) => bounded[k % bounded.length]!.selected,
    },
  };
}

/**
 * Policies selecting at most `limit` pods, those selecting the most first (the hardest cases
 * within the bound), at most EVENTS of them.
 */
function policiesSelectingUpTo(
  state: ClusterState,
  limit: number,
): { policy: NetworkPolicy; selected: number }[] {
  const byNamespace = new Map<string, PodInfo[]>();
  for (const p of state.pods) {
    if (p.hostNetwork) continue;
    const list = byNamespace.get(p.namespace);
    if (list === undefined) byNamespace.set(p.namespace, [p]);
    else list.push(p);
  }
  const counted = state.policies.map((policy) => ({
    policy,
    selected: (byNamespace.get(policy.metadata.namespace) ?? []).filter((p) =>
      selectorMatches(policy.spec.podSelector, p.labels),
    ).length,
  }));
  const within = counted.filter((c) => c.selected <= limit).sort((a, b) => b.selected - a.selected);
  return within.slice(0, EVENTS);
}
