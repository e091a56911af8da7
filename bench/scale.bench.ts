/**
 * `npm run bench:scale [-- --quick] [-- --only realistic-150000,worst-case-1000]`: the policy engine
 * at cluster scale (issue 8). Rows: a realistic cluster (bench/generate-realistic.ts) at 1,000 /
 * 10,000 / 30,000 / 150,000 pods and the worst case (bench/generate-state.ts: policies = pods, 20
 * pods a namespace) at 1,000 / 10,000 / 30,000; `--quick` keeps 1,000 and 10,000, `--only` the rows
 * named. Each row's state is written once as a JSON file in a
 * temp dir; every measurement runs in its own child process, so peak RSS is that measurement's:
 * parse + buildPolicyIndex + computeMatrix (bench/scale-child.ts), parse + LiveIndex.build +
 * events, and the CLI end to end (`netpol matrix --state F --port 80 --protocol TCP --output json`
 * to /dev/null; the package's bin, the bundle dist/cli/netpol.js). `node -e 0` is measured before
 * each row (median of several) and wall times are also shown as a ratio to it. Prints the tables,
 * the issue's targets with met / not met, and one JSON line with everything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ClusterState } from '../src/core/state/cluster-state';
import { generateRealistic } from './generate-realistic';
import { generateState } from './generate-state';
import { ProcessRunner, type ProcessRun } from './process-run';
import { type IndexChildResult, indexChild, liveChild, type LiveChildResult } from './scale-child';
import { stateFileJson } from './state-file';
import { formatMs, median, textTable } from './stats';

type Shape = 'realistic' | 'worst case';

interface RowPlan {
  shape: Shape;
  pods: number;
  /** computeMatrix is run up to this size (its pod sets are pods x pods bits at worst). */
  matrix: boolean;
  /** CLI runs (0: skipped, the JSON is N^2 pairs). */
  cliRuns: number;
}

const MATRIX_MAX = 30_000;
const CLI_MAX = 10_000;
const BASELINE_RUNS = 5;
const CHILD_TIMEOUT_MS = 20 * 60_000;

/** `only`: row names (`realistic-150000`, `worst-case-1000`) to keep, or every row. */
function plans(quick: boolean, only: readonly string[] | undefined): RowPlan[] {
  const sizes: Record<Shape, number[]> = quick
    ? { realistic: [1000, 10_000], 'worst case': [1000, 10_000] }
    : { realistic: [1000, 10_000, 30_000, 150_000], 'worst case': [1000, 10_000, 30_000] };
  const keep = (shape: Shape, pods: number) =>
    only === undefined || only.includes(`${shape.replace(' ', '-')}-${pods}`);
  return (Object.keys(sizes) as Shape[]).flatMap((shape) =>
    sizes[shape]
      .filter((pods) => keep(shape, pods))
      .map((pods) => ({
        shape,
        pods,
        matrix: pods <= MATRIX_MAX,
        cliRuns: pods > CLI_MAX ? 0 : pods <= 1000 ? 5 : 1,
      })),
  );
}

function generate(shape: Shape, pods: number): ClusterState {
  return shape === 'realistic'
    ? generateRealistic({ seed: 42, pods })
    : generateState({ seed: 42, namespaces: Math.max(1, Math.round(pods / 20)), pods, policies: pods });
}

interface RowResult {
  plan: RowPlan;
  policies: number;
  namespaces: number;
  fileMiB: number;
  nodeMs: number;
  index: IndexChildResult | string;
  live: LiveChildResult | string;
  cli: { medianMs: number; peakRssMiB: number | undefined; runs: number } | string | undefined;
}

/** Runs this file as a child in `mode`, returning its JSON result or why it failed. */
function child<T>(mode: string, args: string[]): T | string {
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', __filename, '--child', mode, ...args], {
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) return `failed (${r.signal ?? `exit ${r.status}`}): ${r.stderr.slice(-300).trim()}`;
  return JSON.parse(r.stdout) as T;
}

function nodeBaseline(runner: ProcessRunner, runs: number): number {
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) walls.push(runner.node(['-e', '0'], 30_000).wallMs);
  return median(walls);
}

function runRow(plan: RowPlan, runner: ProcessRunner, dir: string, cliBin: string): RowResult {
  const state = generate(plan.shape, plan.pods);
  const file = join(dir, `${plan.shape.replace(' ', '-')}-${plan.pods}.json`);
  const text = stateFileJson(state);
  writeFileSync(file, text);
  const row: Omit<RowResult, 'index' | 'live' | 'cli'> = {
    plan,
    policies: state.policies.length,
    namespaces: state.namespaces.length,
    fileMiB: text.length / 2 ** 20,
    nodeMs: nodeBaseline(runner, BASELINE_RUNS),
  };
  const index = child<IndexChildResult>('index', [file, plan.matrix ? 'matrix' : 'no-matrix']);
  const live = child<LiveChildResult>('live', [file]);
  let cli: RowResult['cli'];
  if (plan.cliRuns > 0) {
    const runs: ProcessRun[] = [];
    const argv = [cliBin, 'matrix', '--state', file, '--port', '80', '--protocol', 'TCP', '--output', 'json'];
    for (let i = 0; i < plan.cliRuns; i++) {
      const run = runner.node(argv, CHILD_TIMEOUT_MS);
      runs.push(run);
      if (run.failure !== undefined) break;
    }
    const failed = runs.find((r) => r.failure !== undefined);
    cli =
      failed !== undefined
        ? `failed after ${formatMs(failed.wallMs)} ms: ${failed.failure}`
        : {
            medianMs: median(runs.map((r) => r.wallMs)),
            peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB ?? 0)) || undefined,
            runs: runs.length,
          };
  }
  rmSync(file, { force: true });
  return { ...row, index, live, cli };
}

const mib = (x: number | undefined): string => (x === undefined ? '?' : x.toFixed(0));
const ratio = (ms: number, base: number): string => `${(ms / base).toFixed(2)}x`;
const rowName = (r: RowResult): string => `${r.plan.shape} ${r.plan.pods.toLocaleString('en-US')}`;

function mainTable(rows: readonly RowResult[]): string {
  const header = [
    'row',
    'policies',
    'ns',
    'file MiB',
    'node -e 0 ms',
    'parse ms',
    'buildPolicyIndex ms',
    'peak MiB',
    'computeMatrix ms',
    'LiveIndex.build ms',
    'peak MiB',
    'CLI matrix json ms',
    'x node',
    'CLI peak MiB',
  ];
  const body = rows.map((r) => {
    const index = typeof r.index === 'string' ? undefined : r.index;
    const live = typeof r.live === 'string' ? undefined : r.live;
    const cli = typeof r.cli === 'object' ? r.cli : undefined;
    return [
      rowName(r),
      String(r.policies),
      String(r.namespaces),
      r.fileMiB.toFixed(1),
      formatMs(r.nodeMs),
      index === undefined ? 'failed' : formatMs(index.parseMs),
      index === undefined ? 'failed' : formatMs(index.buildMs),
      mib(index?.buildPeakRssMiB),
      !r.plan.matrix ? 'skipped (a)' : index?.matrixMs === undefined ? 'failed' : formatMs(index.matrixMs),
      live === undefined ? 'failed' : formatMs(live.buildMs),
      mib(live?.buildPeakRssMiB),
      r.cli === undefined ? 'skipped (b)' : cli === undefined ? 'failed' : formatMs(cli.medianMs),
      cli === undefined ? '' : ratio(cli.medianMs, r.nodeMs),
      mib(cli?.peakRssMiB),
    ];
  });
  return textTable(header, body);
}

function eventTable(rows: readonly RowResult[]): string {
  const header = [
    'row / event',
    'n',
    'apply p50 ms',
    'apply p99 ms',
    'n',
    '+consume p50',
    '+consume p99',
    'sides',
    'delta pods',
  ];
  const body: string[][] = [];
  for (const r of rows) {
    if (typeof r.live === 'string') {
      body.push([`${rowName(r)}: ${r.live}`, '', '', '', '', '', '', '', '']);
      continue;
    }
    for (const [kind, e] of Object.entries(r.live.events)) {
      body.push([
        `${rowName(r)}: ${kind}${e.meanSelected === undefined ? '' : ` (mean ${e.meanSelected.toFixed(0)} selected)`}`,
        String(e.apply.count),
        formatMs(e.apply.medianMs),
        formatMs(e.apply.p99Ms),
        String(e.applyAndRecompile.count),
        formatMs(e.applyAndRecompile.medianMs),
        formatMs(e.applyAndRecompile.p99Ms),
        e.meanSides.toFixed(1),
        e.meanDeltaPods.toFixed(1),
      ]);
    }
  }
  return textTable(header, body);
}

interface Target {
  name: string;
  measured: string;
  met: boolean | undefined;
}

function targets(rows: readonly RowResult[], parse: { ms: number; nodeMs: number }): Target[] {
  const find = (shape: Shape, pods: number): RowResult | undefined =>
    rows.find((r) => r.plan.shape === shape && r.plan.pods === pods);
  const out: Target[] = [];
  const cliOf = (r: RowResult | undefined): RowResult['cli'] => r?.cli;
  const small = find('worst case', 1000);
  const smallCli = cliOf(small);
  out.push({
    name: 'CLI matrix, worst case 1,000 x 1,000: <= 4x node -e 0',
    measured:
      typeof smallCli === 'object'
        ? `${formatMs(smallCli.medianMs)} ms = ${ratio(smallCli.medianMs, small!.nodeMs)}`
        : String(smallCli),
    met: typeof smallCli === 'object' ? smallCli.medianMs <= 4 * small!.nodeMs : undefined,
  });
  const big = cliOf(find('worst case', 10_000));
  out.push({
    name: 'CLI matrix, worst case 10,000 x 10,000: < 30 s and < 500 MiB',
    measured:
      typeof big === 'object' ? `${formatMs(big.medianMs)} ms, ${mib(big.peakRssMiB)} MiB` : String(big),
    met: typeof big === 'object' ? big.medianMs < 30_000 && (big.peakRssMiB ?? Infinity) < 500 : undefined,
  });
  const huge = find('realistic', 150_000);
  if (huge !== undefined) {
    for (const [name, build, peak] of [
      [
        'buildPolicyIndex',
        typeof huge.index === 'object' ? huge.index.buildMs : undefined,
        typeof huge.index === 'object' ? huge.index.buildPeakRssMiB : undefined,
      ],
      [
        'LiveIndex.build',
        typeof huge.live === 'object' ? huge.live.buildMs : undefined,
        typeof huge.live === 'object' ? huge.live.buildPeakRssMiB : undefined,
      ],
    ] as const) {
      out.push({
        name: `150,000 realistic: ${name} < 30 s, peak RSS (parsed state included) < 1 GiB`,
        measured: build === undefined ? 'failed' : `${formatMs(build)} ms, ${mib(peak)} MiB`,
        met: build === undefined ? undefined : build < 30_000 && (peak ?? Infinity) < 1024,
      });
    }
    if (typeof huge.live === 'object') {
      const events = Object.entries(huge.live.events);
      const podWorst = events
        .filter(([kind]) => kind.startsWith('pod '))
        .reduce((a, b) => (b[1].applyAndRecompile.p99Ms > a[1].applyAndRecompile.p99Ms ? b : a));
      out.push({
        name: '150,000 realistic: one pod event + its report consumed, p99 < 10 ms (worst pod kind)',
        measured:
          `${podWorst[0]}: ${formatMs(podWorst[1].applyAndRecompile.p99Ms)} ms ` +
          `(apply alone ${formatMs(podWorst[1].apply.p99Ms)} ms)`,
        met: podWorst[1].applyAndRecompile.p99Ms < 10,
      });
      const bounded = events.find(([kind]) => kind.startsWith('policy change (<='))!;
      out.push({
        name: '150,000 realistic: policy event selecting <= 1,000 pods + its report consumed, p99 < 100 ms',
        measured: `${formatMs(bounded[1].applyAndRecompile.p99Ms)} ms (apply alone ${formatMs(bounded[1].apply.p99Ms)} ms)`,
        met: bounded[1].applyAndRecompile.p99Ms < 100,
      });
    }
  }
  out.push({
    name: 'netpol parse without a state: <= 1.3x node -e 0',
    measured: `${formatMs(parse.ms)} ms = ${ratio(parse.ms, parse.nodeMs)}`,
    met: parse.ms <= 1.3 * parse.nodeMs,
  });
  return out;
}

/**
 * The CLI as installed: package.json's bin (the esbuild bundle, `npm run build:cli`), or the tsc
 * output of src/cli/bin.ts when the bundle has not been built.
 */
function netpolBin(): string {
  const root = join(__dirname, '..', '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin?: { netpol?: string } };
  const bundled = pkg.bin?.netpol === undefined ? undefined : join(root, pkg.bin.netpol);
  return bundled !== undefined && existsSync(bundled)
    ? bundled
    : join(__dirname, '..', 'src', 'cli', 'bin.js');
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const [mode, file, flag] = args.slice(1);
    try {
      const result = mode === 'index' ? indexChild(file!, flag === 'matrix') : liveChild(file!);
      process.stdout.write(JSON.stringify(result));
    } catch (err) {
      // One line for the table; the parent shows the end of stderr.
      const code = (err as { code?: unknown }).code;
      process.stderr.write(`${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message}\n`);
      process.exitCode = 1;
    }
    return;
  }
  const quick = args.includes('--quick');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt < 0 ? undefined : (args[onlyAt + 1] ?? '').split(',');
  const dir = mkdtempSync(join(tmpdir(), 'netpol-scale-'));
  const runner = new ProcessRunner(dir);
  const cliBin = netpolBin();
  const started = process.hrtime.bigint();
  try {
    console.log(
      `scale bench${quick ? ' (--quick)' : ''}: node ${process.version}, seed 42; peak RSS of the CLI by ` +
        `${runner.rssMethod}; every measurement a separate child process; CLI ${relative(process.cwd(), cliBin)}`,
    );
    const parseNodeMs = nodeBaseline(runner, 7);
    const parseRuns: number[] = [];
    for (let i = 0; i < 7; i++) {
      const run = runner.node(
        [cliBin, 'parse', 'allow frontend nginx to backend', '--output', 'json'],
        30_000,
      );
      if (run.failure !== undefined) throw new Error(`netpol parse failed: ${run.failure}`);
      parseRuns.push(run.wallMs);
    }
    const parse = { ms: median(parseRuns), nodeMs: parseNodeMs };
    console.log(
      `netpol parse "allow frontend nginx to backend" --output json (no state): median ${formatMs(parse.ms)} ms ` +
        `of 7; node -e 0 ${formatMs(parse.nodeMs)} ms; ${ratio(parse.ms, parse.nodeMs)}`,
    );
    const rows: RowResult[] = [];
    for (const plan of plans(quick, only)) {
      const row = runRow(plan, runner, dir, cliBin);
      rows.push(row);
      console.error(
        `done: ${rowName(row)} (${formatMs(Number(process.hrtime.bigint() - started) / 1e6)} ms so far)`,
      );
    }
    console.log('');
    console.log(mainTable(rows));
    console.log(
      `(a) computeMatrix skipped above ${MATRIX_MAX.toLocaleString('en-US')} pods: 150,000^2 = 2.25e10 pairs, ` +
        `its per-pod sets up to 2 x 150,000 x 150,000 bits (5.2 GiB).\n` +
        `(b) CLI --output json skipped above ${CLI_MAX.toLocaleString('en-US')} pods: 9e8 pairs at 30,000 pods is ` +
        `about 25 GB of JSON. CLI runs: median of 5 at 1,000 pods, 1 run at 10,000.\n` +
        `parse = read + parseState of the JSON file; peak MiB = that child's maxRSS after the build ` +
        `(parsed state included); node -e 0 = median of ${BASELINE_RUNS} just before the row.`,
    );
    console.log('');
    console.log(eventTable(rows));
    console.log(
      'apply = LiveIndex.apply alone; +consume = apply and what a consumer does with its report: ' +
        'LiveIndex.structure of every side whose structure it reports changed, its selector deltas applied ' +
        'to member sets (the first events of a kind, while they fit in 7.5 s); sides = structural side ' +
        'changes per event, mean; delta pods = pods entering or leaving selectors per event, mean.',
    );
    console.log('');
    const verdicts = targets(rows, parse);
    console.log(
      textTable(
        ['target', 'measured', 'verdict'],
        verdicts.map((t) => [
          t.name,
          t.measured,
          t.met === undefined ? 'not measured' : t.met ? 'met' : 'NOT MET',
        ]),
      ),
    );
    console.log(`total ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)} s`);
    console.log(JSON.stringify({ bench: 'scale', quick, parse, rows, targets: verdicts }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
