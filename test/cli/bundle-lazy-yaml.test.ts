/**
 * The bundled CLI (dist/cli/netpol.js, scripts/build-cli.mjs) keeps `yaml` lazy: `netpol parse
 * --output json` must not evaluate a single module of it (issue 8: the parse start-up budget is
 * 1.3x `node -e 0`, and `yaml` alone would cost about a third of node's own start).
 *
 * How it is seen: the CLI runs with NODE_V8_COVERAGE, which makes V8 record every function that ran.
 * The build puts yaml in a file of its own (dist/cli/yaml.js); esbuild wraps each bundled module in a
 * function named after its path (`node_modules/yaml/dist/...`), and a module loaded from
 * node_modules shows up as a script of its own. Any of the three counts, so yaml code that ran is
 * visible whatever import brought it in and wherever a later build puts it. The default YAML output
 * is the control: there the probe must see yaml, or the probe itself is broken.
 *
 * The bundle is built here, into a temporary directory, by the same script as `npm run build`
 * (about a second), so the test needs no earlier build and never races another run over dist/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(__dirname, '..', '..');
const REQUEST = 'allow frontend nginx to backend';

/** The part of V8's coverage output (the Profiler.takePreciseCoverage result) read here. */
interface V8Coverage {
  result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
}

let dir: string;
let bundle: string;
let runs = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-bundle-'));
  bundle = join(dir, 'netpol.js');
  const built = spawnSync(process.execPath, ['scripts/build-cli.mjs', '--outdir', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (built.status !== 0)
    throw new Error(`scripts/build-cli.mjs failed: ${built.stderr}${built.error ?? ''}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the bundle; returns its output and the yaml modules (or files) whose code ran. */
function runBundle(...argv: string[]): {
  status: number | null;
  stdout: string;
  yamlModules: string[];
  zodModules: string[];
} {
  const coverageDir = join(dir, `coverage-${++runs}`);
  const run = spawnSync(process.execPath, [bundle, ...argv], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NODE_V8_COVERAGE: coverageDir },
  });
  const yamlChunk = pathToFileURL(join(dir, 'yaml.js')).href;
  const zodChunk = pathToFileURL(join(dir, 'zod.js')).href;
  const yamlModules = new Set<string>();
  const zodModules = new Set<string>();
  for (const file of readdirSync(coverageDir)) {
    const coverage = JSON.parse(readFileSync(join(coverageDir, file), 'utf8')) as V8Coverage;
    for (const script of coverage.result) {
      const ran = script.functions.filter((fn) => (fn.ranges[0]?.count ?? 0) > 0);
      if (ran.length === 0) continue;
      if (script.url.includes('/node_modules/yaml/') || script.url === yamlChunk) yamlModules.add(script.url);
      if (script.url.includes('/node_modules/zod/') || script.url === zodChunk) zodModules.add(script.url);
      for (const fn of ran) {
        if (fn.functionName.startsWith('node_modules/yaml/')) yamlModules.add(fn.functionName);
        if (fn.functionName.startsWith('node_modules/zod/')) zodModules.add(fn.functionName);
      }
    }
  }
  return {
    status: run.status,
    stdout: run.stdout,
    yamlModules: [...yamlModules].sort(),
    zodModules: [...zodModules].sort(),
  };
}

describe('the bundled CLI loads yaml only when it writes YAML', () => {
  it('parse with the default YAML output runs yaml (the probe sees it)', () => {
    const run = runBundle('parse', REQUEST);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('kind: NetworkPolicy');
    expect(run.yamlModules).toContain(pathToFileURL(join(dir, 'yaml.js')).href);
    expect(run.yamlModules).toContain('node_modules/yaml/dist/nodes/identity.js');
  });

  it('parse --output json runs no yaml code at all', () => {
    const run = runBundle('parse', REQUEST, '--output', 'json');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: 'NetworkPolicy' });
    expect(run.yamlModules).toEqual([]);
  });

  it('parse without a configuration file runs none of the configuration schema (zod)', () => {
    const run = runBundle('parse', REQUEST, '--output', 'json');
    expect(run.status).toBe(0);
    expect(run.zodModules).toEqual([]);
  });

  it('parse --config FILE reads it through the schema (the probe sees zod)', () => {
    const config = join(dir, 'netpol-config.json');
    writeFileSync(config, JSON.stringify({ labelKeys: ['app'] }));
    const run = runBundle('parse', REQUEST, '--output', 'json', '--config', config);
    expect(run.status).toBe(0);
    expect(run.zodModules).not.toEqual([]);
  });

  it('is what the package installs as netpol and what npm run build produces', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(pkg.bin.netpol).toBe('dist/cli/netpol.js');
    expect(pkg.scripts['build:cli']).toBe('node scripts/build-cli.mjs');
    expect(pkg.scripts.build).toContain('build:cli');
  });
});
