/**
 * The bundled CLI keeps @kubernetes/client-node for the live cluster only (issue 11): it is several
 * megabytes, and `netpol parse` without a cluster must start within 1.3x `node -e 0`, `matrix
 * --state` no slower than before. So a command on a state file, and parse without one, must not run
 * a single function of client-node, and the file node starts from must not even hold it (node reads
 * and scans a whole file before running it). The control, through the same probe: `matrix` and
 * `show` on the live cluster (the Kubernetes API stand-in, through a kubeconfig) run client-node and
 * print the same bytes as on the state file, which also proves the bundle carries every client-node
 * export the live path needs.
 *
 * How code that ran is seen: NODE_V8_COVERAGE, as test/cli/bundle-lazy-yaml.test.ts explains. Any
 * of three signs counts: a function of a script under node_modules/@kubernetes/client-node, of the
 * bundle's client-node file (kube-client.js), or an esbuild module wrapper named after a
 * node_modules/@kubernetes/client-node path inside any bundled file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { startKubeApiStandIn, type KubeApiStandIn } from '../../src/devtools/kube-api';

const ROOT = join(__dirname, '..', '..');
const CLIENT_NODE = 'node_modules/@kubernetes/client-node/';

interface V8Coverage {
  result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
}

let dir: string;
let standIn: KubeApiStandIn;
let state: string;
let kubeconfig: string;
let runs = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-live-bundle-'));
  const built = spawnSync(process.execPath, ['scripts/build-cli.mjs', '--outdir', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (built.status !== 0)
    throw new Error(`scripts/build-cli.mjs failed: ${built.stderr}${built.error ?? ''}`);

  const items = parseAllDocuments(readFileSync(join(ROOT, 'examples', 'reference-cluster.yaml'), 'utf8'))
    .flatMap((doc) => (doc.toJS() as { items: { kind: string }[] }).items)
    .filter((item) => ['Namespace', 'Pod', 'NetworkPolicy'].includes(item.kind));
  state = join(dir, 'state.json');
  writeFileSync(state, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const ofKind = (kind: string) => items.filter((item) => item.kind === kind);
  standIn = await startKubeApiStandIn({
    initial: {
      namespaces: ofKind('Namespace'),
      pods: ofKind('Pod'),
      networkpolicies: ofKind('NetworkPolicy'),
    },
  });
  kubeconfig = join(dir, 'kubeconfig');
  await standIn.writeKubeconfig(kubeconfig);
}, 240_000);

afterAll(async () => {
  await standIn?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the bundle (asynchronously: the stand-in answers from this process); which client-node code ran. */
async function runBundle(
  ...argv: string[]
): Promise<{ status: number | null; stdout: string; stderr: string; ran: string[] }> {
  const coverageDir = join(dir, `coverage-${++runs}`);
  const child = spawn(process.execPath, [join(dir, 'netpol.js'), ...argv], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, NODE_V8_COVERAGE: coverageDir },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const kubeChunk = pathToFileURL(join(dir, 'kube-client.js')).href;
  const ran = new Set<string>();
  for (const file of readdirSync(coverageDir)) {
    const coverage = JSON.parse(readFileSync(join(coverageDir, file), 'utf8')) as V8Coverage;
    for (const script of coverage.result) {
      const called = script.functions.filter((fn) => (fn.ranges[0]?.count ?? 0) > 0);
      if (called.length === 0) continue;
      if (script.url.includes(`/${CLIENT_NODE}`) || script.url === kubeChunk) ran.add(script.url);
      for (const fn of called) if (fn.functionName.startsWith(CLIENT_NODE)) ran.add(fn.functionName);
    }
  }
  return { status, stdout, stderr, ran: [...ran].sort() };
}

describe('the bundled CLI runs @kubernetes/client-node only on a live cluster', () => {
  it('the file node starts from holds none of client-node', () => {
    // netpol.js, and the bundle it starts when it is a launcher (cli.js); libraries sit in files of their own.
    for (const file of ['netpol.js', 'cli.js'].filter((f) => existsSync(join(dir, f)))) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text).not.toContain(CLIENT_NODE);
      expect(text.length).toBeLessThan(2_000_000);
    }
  });

  it('matrix --state and parse without a cluster run none of it', async () => {
    const matrix = await runBundle('matrix', '--state', state, '--output', 'json');
    expect(matrix).toMatchObject({ status: 0, stderr: '', ran: [] });
    const parse = await runBundle('parse', 'allow frontend nginx to backend', '--output', 'json');
    expect(parse).toMatchObject({ status: 0, ran: [] });
  });

  it('matrix and show on the live cluster run it, and print what --state prints', async () => {
    const file = await runBundle('matrix', '--state', state, '--output', 'json');
    const live = await runBundle('matrix', '--kubeconfig', kubeconfig, '--output', 'json');
    expect(live.stderr).toContain(`netpol: reading cluster "netpol-stand-in" at ${standIn.url}`);
    expect(live.status).toBe(0);
    expect(live.ran.length).toBeGreaterThan(0);
    expect(live.stdout).toBe(file.stdout);

    const showLive = await runBundle('show', 'backend', '--kubeconfig', kubeconfig);
    expect(showLive.status).toBe(0);
    expect(showLive.stdout).toBe((await runBundle('show', 'backend', '--state', state)).stdout);
  });
});
