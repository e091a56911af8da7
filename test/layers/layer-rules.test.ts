/**
 * The layer rules (.dependency-cruiser.js) must fire: each case writes a small throwaway tree in a
 * temporary directory with the project's layout, breaks one rule on purpose, and runs the same
 * dependency-cruiser command `npm run lint:layers` runs. A rule that stops matching (a renamed
 * folder, a typo in a pattern) fails here rather than letting violations land unnoticed. The last
 * case runs the rules over the real src/ and expects none.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.js');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** Runs the rules over `cwd`'s src/; returns the violations (exit status 0 or the violation count). */
async function violationsIn(cwd: string): Promise<Violation[]> {
  const args = [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'json'];
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    // depcruise exits with the number of errors it found and still prints the report.
    stdout = (error as { stdout?: string }).stdout ?? '';
    if (stdout === '') throw error;
  }
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

/** A minimal tree with one module per layer, all legal; `extra` adds or overrides files. */
async function tree(extra: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netpol-layers-'));
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }),
    'src/core/model.ts': "export const model = 'core';\n",
    'src/contracts/job.ts': "import { model } from '../core/model';\nexport const job = model;\n",
    'src/platform/config.ts': "import { job } from '../contracts/job';\nexport const config = job;\n",
    'src/adapters/store.ts': "import { config } from '../platform/config';\nexport const store = config;\n",
    'src/bot/main.ts': "import { store } from '../adapters/store';\nexport const bot = store;\n",
    'src/workers/main.ts': "import { store } from '../adapters/store';\nexport const worker = store;\n",
    'src/devtools/demo.ts':
      "import { bot } from '../bot/main';\nimport { worker } from '../workers/main';\nexport const demo = [bot, worker];\n",
    'test/support/fixture.ts': "export const fixture = 'test';\n",
    ...extra,
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function rulesBrokenBy(extra: Record<string, string>): Promise<string[]> {
  const dir = await tree(extra);
  dirs.push(dir);
  return [...new Set((await violationsIn(dir)).map((v) => v.rule.name))].sort();
}

describe('the layer rules', () => {
  it('accept a tree that keeps every layer in its place', async () => {
    expect(await rulesBrokenBy({})).toEqual([]);
  });

  it.each([
    [
      'core-is-pure',
      'src/core/io.ts',
      "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
    ],
    [
      'core-is-pure',
      'src/core/up.ts',
      "import { store } from '../adapters/store';\nexport const s = store;\n",
    ],
    [
      'contracts-over-core-only',
      'src/contracts/up.ts',
      "import { config } from '../platform/config';\nexport const c = config;\n",
    ],
    [
      'platform-below-adapters',
      'src/platform/up.ts',
      "import { store } from '../adapters/store';\nexport const s = store;\n",
    ],
    [
      'adapters-never-import-apps',
      'src/adapters/up.ts',
      "import { bot } from '../bot/main';\nexport const b = bot;\n",
    ],
    [
      'apps-never-import-apps',
      'src/bot/other.ts',
      "import { worker } from '../workers/main';\nexport const w = worker;\n",
    ],
    [
      'only-tests-use-devtools',
      'src/bot/demo.ts',
      "import { demo } from '../devtools/demo';\nexport const d = demo;\n",
    ],
    [
      'src-never-imports-test-or-bench',
      'src/devtools/fix.ts',
      "import { fixture } from '../../test/support/fixture';\nexport const f = fixture;\n",
    ],
    ['no-circular', 'src/core/model.ts', "import { loop } from './loop';\nexport const model = loop;\n"],
  ])('fail on a deliberate %s violation (%s)', async (rule, path, text) => {
    const extra: Record<string, string> = { [path]: text };
    if (rule === 'no-circular')
      extra['src/core/loop.ts'] = "import { model } from './model';\nexport const loop = () => model;\n";
    expect(await rulesBrokenBy(extra)).toEqual([rule]);
  });

  it('let tests beside the code import test fixtures', async () => {
    const text = "import { fixture } from '../../test/support/fixture';\nexport const t = fixture;\n";
    expect(await rulesBrokenBy({ 'src/core/model.test.ts': text })).toEqual([]);
  });

  it('hold for the real src/', async () => {
    const found = (await violationsIn(ROOT)).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(found).toEqual([]);
  });
});
