/**
 * `npm run bench:cli [-- --runs N]`: the CLI's short runs against `node -e 0`, measured in the same
 * run and interleaved (one of each per round), so a busy machine slows all of them alike (issue 8):
 * `netpol matrix --state F --port 80 --protocol TCP --output json` on the worst-case 1,000-pod state
 * (bench/generate-state.ts, policies = pods; target <= 4x) and `netpol parse "<request>" --output json`
 * without a state (target <= 1.3x). The CLI is the package's bin, the bundle `npm run build:cli`
 * makes (this script's npm entry builds it); output goes to /dev/null. Prints wall-time medians and
 * their ratios to `node -e 0`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateState } from './generate-state';
import { stateFileJson } from './state-file';
import { formatMs, median, textTable } from './stats';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'netpol.js');

/** One run of `node ...argv`: its wall time in ms. */
function run(argv: string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(-300)}`);
  return wallMs;
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-cli-bench-'));
  try {
    const state = join(dir, 'worst-case-1000.json');
    const generated = generateState({ seed: 42, namespaces: 50, pods: 1000, policies: 1000 });
    writeFileSync(state, stateFileJson(generated));
    const commands: [string, string[], number | undefined][] = [
      ['node -e 0', ['-e', '0'], undefined],
      [
        'netpol matrix --output json, worst case 1,000',
        [cli, 'matrix', '--state', state, '--port', '80', '--protocol', 'TCP', '--output', 'json'],
        4,
      ],
      ['netpol parse, no state', [cli, 'parse', 'allow frontend nginx to backend', '--output', 'json'], 1.3],
    ];
    const samples = commands.map((): number[] => []);
    for (let round = 0; round < runs; round++) {
      commands.forEach(([, argv], i) => samples[i]!.push(run(argv)));
    }
    const base = median(samples[0]!);
    const rows = commands.map(([name, , target], i) => {
      const wall = median(samples[i]!);
      const ratio = wall / base;
      return [
        name,
        formatMs(wall),
        `${ratio.toFixed(2)}x`,
        target === undefined ? '' : `<= ${target}x: ${ratio <= target ? 'met' : 'NOT met'}`,
      ];
    });
    process.stdout.write(
      `cli bench: node ${process.version}, ${runs} interleaved runs each, medians; CLI ${cli}\n` +
        textTable(['command', 'wall ms', 'x node -e 0', 'target'], rows),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
