/**
 * The bundled CLI (scripts/build-cli.mjs) draws `netpol graph` with the graph libraries left in
 * node_modules (Graphviz in WebAssembly, resvg's native addon), and nothing else pays for them:
 * `parse --output json` must not run a single function of either, and no bundled file may carry
 * their code (node reads and scans a whole file before running it).
 *
 * How code that ran is seen: NODE_V8_COVERAGE, as test/cli/bundle-lazy-yaml.test.ts explains; a
 * library required from node_modules shows up as scripts of its own under its package directory.
 * The control is `graph` itself through the same probe: there both libraries must be seen.
 *
 * The bundle is built into a fresh directory under dist/, so that node resolves the external
 * libraries from the checkout's node_modules as an installed netpol resolves them from its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ObservedFlowsFile } from '../../src/contracts/observed-flows';

const ROOT = join(__dirname, '..', '..');
const LIBRARIES = ['node_modules/@hpcc-js/wasm-graphviz/', 'node_modules/@resvg/'];

interface V8Coverage {
  result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
}

let dir: string;
let runs = 0;

beforeAll(() => {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  dir = mkdtempSync(join(ROOT, 'dist', 'test-graph-bundle-'));
  const built = spawnSync(process.execPath, ['scripts/build-cli.mjs', '--outdir', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (built.status !== 0)
    throw new Error(`scripts/build-cli.mjs failed: ${built.stderr}${built.error ?? ''}`);
  const flows: ObservedFlowsFile = {
    v: 1,
    flows: [
      {
        source: { kind: 'workload', namespace: 'frontend', name: 'nginx', selector: { app: 'nginx' } },
        destination: { kind: 'workload', namespace: 'backend', name: 'api', selector: { app: 'api' } },
        protocol: 'TCP',
        port: 8080,
        verdict: 'blocked',
        count: 4,
        firstSeen: '2026-12-01T10:00:00.000Z',
        lastSeen: '2026-12-01T10:00:00.000Z',
      },
    ],
  };
  writeFileSync(join(dir, 'flows.json'), JSON.stringify(flows));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the bundle; returns its output and the graph libraries' scripts that ran. */
function runBundle(...argv: string[]): { status: number | null; stderr: string; ran: string[] } {
  const coverageDir = join(dir, `coverage-${++runs}`);
  const run = spawnSync(process.execPath, [join(dir, 'netpol.js'), ...argv], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_V8_COVERAGE: coverageDir },
  });
  const ran = new Set<string>();
  for (const file of readdirSync(coverageDir)) {
    const coverage = JSON.parse(readFileSync(join(coverageDir, file), 'utf8')) as V8Coverage;
    for (const script of coverage.result) {
      if (!LIBRARIES.some((lib) => script.url.includes(lib))) continue;
      if (script.functions.some((fn) => (fn.ranges[0]?.count ?? 0) > 0)) ran.add(script.url);
    }
  }
  return { status: run.status, stderr: run.stderr, ran: [...ran].sort() };
}

describe('the bundled CLI and the graph libraries', () => {
  it('netpol graph from the bundle writes a PNG, running both libraries from node_modules', () => {
    const out = join(dir, 'graph.png');
    const run = runBundle('graph', '--flows', join(dir, 'flows.json'), '-o', out);
    expect(run.stderr).toMatch(/2 workloads, 0 outside addresses, 0 allowed and 1 blocked edges -> /);
    expect(run.status).toBe(0);
    const png = readFileSync(out);
    expect(png.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
    expect(run.ran.some((url) => url.includes('/@hpcc-js/wasm-graphviz/'))).toBe(true);
    expect(run.ran.some((url) => url.includes('/@resvg/resvg-js'))).toBe(true);
  });

  it('parse --output json runs neither library', () => {
    const run = runBundle('parse', 'allow frontend nginx to backend', '--output', 'json');
    expect(run.status).toBe(0);
    expect(run.ran).toEqual([]);
  });

  it('no bundled file carries their code', () => {
    // A stretch of Graphviz's module that only the library itself holds.
    const library = readFileSync(join(ROOT, 'node_modules/@hpcc-js/wasm-graphviz/dist/index.js'), 'utf8');
    const marker = library.slice(0, 400);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.js')))
      expect(readFileSync(join(dir, file), 'utf8').includes(marker)).toBe(false);
    expect(readFileSync(join(dir, 'cli.js'), 'utf8')).toContain('require("@hpcc-js/wasm-graphviz")');
  });
});
