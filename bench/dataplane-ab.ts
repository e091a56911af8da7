/**
 * The dataplane bench's A/B new-connection comparison (`--ab-connect`, issue 9). Connect latency on
 * a small shared machine flips between modes (~22 us and ~31 us) from one measurement to the next,
 * so setups measured one after another carry a mode flip into their ratio. Here three client/server
 * pod pairs of one lab node run at once: one pair's host veths carry our programs (the rules on its
 * server's ingress), one pair's the empty tc program, one pair's nothing; a connect loop per pair
 * (dataplane-clients.ts, ConnectBatches) runs small batches in turn (the order rotating each cycle),
 * so every cycle measures the three setups within the same milliseconds, in the same machine state.
 *
 * The pairs themselves may differ (their processes land on CPUs differently): --ab-shift moves the
 * setups over the pairs, and runs with each shift show (and average out) a pair's own bias. The ratios are of percentiles of all samples pooled
 * (what the target is about), with a 95% bootstrap interval that resamples whole cycles (the three
 * batches measured together stay together); beside them, the median of per-cycle ratios of batch
 * medians with its order-statistics interval (dataplane-verdict.ts).
 *
 * Three runs, one per shift (each setup on each pair once), load 6-11 on 2 CPUs, 8,000 connects a
 * setup: p50 (b)/(a) 1.132 (CI 1.115-1.149), 1.132 (1.114-1.152), 1.121 (1.097-1.153); (a')/(a)
 * 1.032, 1.019, 1.037. Same ratio whichever pair carries the programs, so pair bias is below the
 * intervals. p50s 22.2-23.3 us for (a): about 2.9 us added by (b), 0.7 us of it the empty program
 * (the hook itself), more than the ~1.2 us the kernel accounts to our programs' runs (its clock
 * covers only the runs, not the hook nor the caches they evict). p99 (~200 us, normal priority)
 * is scheduling noise: its intervals span 0.8-1.6.
 */
import { DIRECTION } from '../src/adapters/bpf/abi';
import type { BpfDataplane, PolicyRule } from '../src/adapters/bpf/bpf-dataplane';
import { ConnectBatches } from './dataplane-clients';
import { attachNoop, detachNoop } from './dataplane-progcost';
import { formatRatio, ratioSummary } from './dataplane-verdict';
import { bootstrapIntervals, quantileSorted, textTable } from './stats';

export type AbSetup = 'none' | 'noop' | 'bpf';
export const AB_SETUPS: readonly AbSetup[] = ['none', 'noop', 'bpf'];

export interface AbPair {
  readonly name: string;
  readonly clientNetns: string;
  readonly clientIf: string;
  readonly serverIf: string;
  readonly serverIp: string;
}

export interface AbOptions {
  readonly node: string;
  readonly pairs: readonly AbPair[];
  readonly dataplane: BpfDataplane;
  readonly noopPath: string;
  readonly labels: Readonly<Record<AbSetup, string>>;
  /** The endpoint the rules are keyed by: whichever pair carries our programs, its server is it. */
  readonly serverEndpointId: number;
  readonly rules: readonly PolicyRule[];
  readonly port: number;
  /** A port the rules do not allow (the pair with our programs must refuse it). */
  readonly closedPort: number;
  /** Whether `pair`'s client connects to its server's `port` within `timeoutMs`. */
  readonly reaches: (pair: AbPair, port: number, timeoutMs: number) => Promise<boolean>;
  readonly cyclesPerPhase: number;
  /** Pair i carries AB_SETUPS[(i + shift) % 3]. */
  readonly shift: number;
  readonly batch: number;
  readonly cpu?: number;
  readonly rt: boolean;
}

/** One batch's connect() times in us, sorted, per setup. */
type Cycle = readonly Float64Array[];

export interface AbResult {
  /** The pair each setup ran on (AB_SETUPS order). */
  readonly owner: readonly string[];
  /** Cycles, each with one batch per setup (AB_SETUPS order). */
  readonly measured: readonly Cycle[];
}

const WARMUP_CONNECTS = 200;
const CLIENT_ENDPOINT_BASE = 100;

/** Puts each pair's host veths in the state of its setup, then checks the rules enforce. */
class PairStates {
  private readonly states: AbSetup[];

  constructor(private readonly options: AbOptions) {
    this.states = options.pairs.map(() => 'none');
  }

  async assign(setups: readonly AbSetup[]): Promise<void> {
    const { pairs, node, dataplane } = this.options;
    // Everything off first: only one pair at a time holds the server endpoint's id.
    for (const [index, pair] of pairs.entries()) {
      if (this.states[index] === setups[index]) continue;
      if (this.states[index] === 'bpf') {
        await dataplane.detach(node, pair.clientIf);
        await dataplane.detach(node, pair.serverIf);
      } else if (this.states[index] === 'noop') {
        await detachNoop(node, pair.clientIf);
        await detachNoop(node, pair.serverIf);
      }
      this.states[index] = 'none';
    }
    for (const [index, pair] of pairs.entries()) {
      const setup = setups[index]!;
      if (this.states[index] === setup) continue;
      if (setup === 'noop') {
        await attachNoop(node, pair.clientIf, this.options.noopPath);
        await attachNoop(node, pair.serverIf, this.options.noopPath);
      } else if (setup === 'bpf') {
        const clientIndex = await dataplane.attach(node, pair.clientIf);
        await dataplane.setEndpoint(clientIndex, {
          endpointId: CLIENT_ENDPOINT_BASE + index,
          ready: true,
          ingressIsolated: false,
          egressIsolated: false,
        });
        const serverIndex = await dataplane.attach(node, pair.serverIf);
        await dataplane.setEndpoint(serverIndex, {
          endpointId: this.options.serverEndpointId,
          ready: true,
          ingressIsolated: true,
          egressIsolated: false,
        });
        await dataplane.swapRules(this.options.serverEndpointId, DIRECTION.INGRESS, [...this.options.rules]);
      }
      this.states[index] = setup;
    }
    for (const [index, pair] of pairs.entries()) {
      const open = await this.options.reaches(pair, this.options.port, 1_000);
      const closed = !(await this.options.reaches(pair, this.options.closedPort, 300));
      if (!open || closed !== (setups[index] === 'bpf')) {
        throw new Error(
          `A/B pair ${pair.name} (${setups[index]}): port ${this.options.port} ${open ? 'open' : 'closed'}, ` +
            `${this.options.closedPort} ${closed ? 'closed' : 'open'}`,
        );
      }
    }
  }

  async clear(): Promise<void> {
    await this.assign(this.options.pairs.map(() => 'none')).catch(() => undefined);
  }
}

/**
 * Pair i carries AB_SETUPS[(i + shift) % 3] from the start (before any measured connect), then
 * cyclesPerPhase cycles of one batch per pair, the pairs' order rotating each cycle. The setups stay
 * put (the first version moved them between phases; its runs stalled, which turned out to be the
 * SCHED_FIFO clients and servers, now off for the A/B), and a pair's own bias shows across runs with
 * different shifts (--ab-shift).
 */
export async function measureAbConnects(
  options: AbOptions,
  progress: (line: string) => void,
): Promise<AbResult> {
  const { pairs } = options;
  if (pairs.length !== AB_SETUPS.length) throw new Error(`the A/B needs ${AB_SETUPS.length} pairs`);
  const assignment = pairs.map((_, i) => AB_SETUPS[(i + options.shift) % AB_SETUPS.length]!);
  const states = new PairStates(options);
  await states.assign(assignment);
  const loops = pairs.map((pair) =>
    ConnectBatches.start({
      netns: pair.clientNetns,
      host: pair.serverIp,
      port: options.port,
      cpu: options.cpu,
      rt: options.rt,
    }),
  );
  try {
    for (const loop of loops) await loop.batch(WARMUP_CONNECTS);
    const cycles: Cycle[] = [];
    for (let cycle = 0; cycle < options.cyclesPerPhase; cycle++) {
      const samples: Float64Array[] = [];
      for (let k = 0; k < pairs.length; k++) {
        const index = (k + cycle) % pairs.length;
        const setup = AB_SETUPS.indexOf(assignment[index]!);
        samples[setup] = Float64Array.from(await loops[index]!.batch(options.batch)).sort();
      }
      cycles.push(samples);
    }
    const owner = AB_SETUPS.map((setup) => pairs[assignment.indexOf(setup)]!.name);
    progress(`A/B: ${AB_SETUPS.map((setup, i) => `${setup} on ${owner[i]}`).join(', ')}`);
    return { owner, measured: cycles };
  } finally {
    await Promise.all(loops.map((loop) => loop.stop()));
    await states.clear();
  }
}

function quantileOf(parts: readonly Float64Array[], qs: readonly number[]): number[] {
  const all = new Float64Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  all.sort();
  return qs.map((q) => quantileSorted(all, q));
}

interface RatioCi {
  readonly ratio: number;
  readonly low: number;
  readonly high: number;
}

export interface AbSummary {
  readonly samples: number;
  /** Per setup (AB_SETUPS order). */
  readonly p50Us: readonly number[];
  readonly p99Us: readonly number[];
  /** Per setup against (a). */
  readonly ratios: { readonly p50: RatioCi; readonly p99: RatioCi }[];
  readonly perCycleP50: ReturnType<typeof ratioSummary>[];
}

/**
 * Pooled percentiles per setup, and ratios to (a) with 95% bootstrap intervals resampling whole
 * cycles (the batches measured together stay together).
 */
export function summariseAb(result: AbResult, resamples = 1_000): AbSummary {
  const { measured } = result;
  const setups = AB_SETUPS.length;
  /** [p50 ratio, p99 ratio] of every setup to (a) over the given cycles. */
  const ratiosOf = (indices: readonly number[]) => {
    const q = Array.from({ length: setups }, (_, i) =>
      quantileOf(
        indices.map((c) => measured[c]![i]!),
        [0.5, 0.99],
      ),
    );
    return q.flatMap((own) => [own[0]! / q[0]![0]!, own[1]! / q[0]![1]!]);
  };
  const point = ratiosOf(measured.map((_, i) => i));
  const interval = bootstrapIntervals(measured.length, ratiosOf, { resamples });
  const ci = (k: number): RatioCi => ({ ratio: point[k]!, ...interval[k]! });
  const pooled = (q: number) =>
    Array.from(
      { length: setups },
      (_, i) =>
        quantileOf(
          measured.map((c) => c[i]!),
          [q],
        )[0]!,
    );
  return {
    samples: measured.reduce((total, cycle) => total + cycle[0]!.length, 0),
    p50Us: pooled(0.5),
    p99Us: pooled(0.99),
    ratios: Array.from({ length: setups }, (_, i) => ({ p50: ci(2 * i), p99: ci(2 * i + 1) })),
    perCycleP50: Array.from({ length: setups }, (_, i) =>
      ratioSummary(measured.map((cycle) => quantileSorted(cycle[i]!, 0.5) / quantileSorted(cycle[0]!, 0.5))),
    ),
  };
}

export function printAb(options: AbOptions, result: AbResult, summary: AbSummary): void {
  const f3 = (value: number) => value.toFixed(3);
  const ci = (r: RatioCi) => `${f3(r.ratio)} (CI ${f3(r.low)}-${f3(r.high)})`;
  console.log(
    `\nNew connections, A/B: three client/server pod pairs on one node measured together, batches of ${options.batch} ` +
      `connects per pair in turn (order rotating), ${options.cyclesPerPhase} cycles (setups shifted by ${options.shift} ` +
      `over the pairs: compare runs with --ab-shift=0,1,2 to see a pair's own bias). Percentiles of all ` +
      `${summary.samples} samples a setup; ratios to (a) with 95% bootstrap intervals over cycles; "per-cycle": median ` +
      `over cycles of the batch medians' ratio (CI: order statistics)`,
  );
  const rows = AB_SETUPS.map((setup, i) => [
    `${options.labels[setup]} on ${result.owner[i]}`,
    summary.p50Us[i]!.toFixed(1),
    summary.p99Us[i]!.toFixed(1),
    i === 0 ? '-' : ci(summary.ratios[i]!.p50),
    i === 0 ? '-' : ci(summary.ratios[i]!.p99),
    i === 0 ? '' : formatRatio(summary.perCycleP50[i]!),
  ]);
  console.log(
    textTable(['setup on pair', 'p50 us', 'p99 us', 'p50 vs (a)', 'p99 vs (a)', 'per-cycle p50 ratio'], rows),
  );
}
