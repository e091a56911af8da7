/**
 * `netpol graph` in-process through runCli, over the real Graphviz and resvg: the picture of an
 * observed-flows file in each format, the reference cluster's workloads added with --state, and
 * every bad input named (missing file, bad entry, PNG without a file, unknown format).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main';
import type { ObservedFlow, ObservedFlowsFile } from '../../src/contracts/observed-flows';

const EXAMPLE = join(__dirname, '../../examples/reference-cluster.yaml');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const workload = (namespace: string, name: string) => ({
  kind: 'workload' as const,
  namespace,
  name,
  selector: { app: name },
});
const seen = { firstSeen: '2026-12-01T10:00:00.000Z', lastSeen: '2026-12-01T10:05:00.000Z' };
const FLOWS: ObservedFlow[] = [
  {
    source: workload('frontend', 'nginx'),
    destination: workload('backend', 'nginx'),
    protocol: 'TCP',
    port: 80,
    verdict: 'allowed',
    count: 120,
    ...seen,
  },
  {
    source: workload('frontend', 'nginx'),
    destination: workload('backend', 'nginx'),
    protocol: 'TCP',
    port: 8443,
    verdict: 'blocked',
    count: 9,
    ...seen,
  },
  {
    source: { kind: 'address', address: '198.51.100.4' },
    destination: workload('frontend', 'nginx'),
    protocol: 'TCP',
    port: 443,
    verdict: 'allowed',
    count: 50,
    ...seen,
  },
];

let dir: string;
let flows: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-graph-cli-'));
  flows = join(dir, 'flows.json');
  writeFileSync(flows, JSON.stringify({ v: 1, cluster: 'ref', flows: FLOWS } satisfies ObservedFlowsFile));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('netpol graph', () => {
  it('writes a PNG to -o and says what it drew', async () => {
    const out = join(dir, 'graph.png');
    const r = await run('graph', '--flows', flows, '-o', out);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toMatch(
      /2 workloads, 1 outside addresses, 2 allowed and 1 blocked edges -> .*graph\.png \(png, \d+ bytes\)/,
    );
    const png = readFileSync(out);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(png.readUInt32BE(16)).toBeGreaterThan(300);
  });

  it('prints SVG with a node per workload and address; --state adds the namespace workloads with no flows', async () => {
    const alone = await run('graph', '--flows', flows, '--format', 'svg', '-n', 'kube-system');
    expect(alone.code).toBe(0);
    expect(alone.stderr).toContain('no flows to or from namespace kube-system');
    // Only the legend's four points.
    expect(alone.stdout.match(/class="node"/g)).toHaveLength(4);

    const withState = await run(
      'graph',
      '--flows',
      flows,
      '--state',
      EXAMPLE,
      '-n',
      'kube-system',
      '--format',
      'svg',
    );
    expect(withState.code).toBe(0);
    expect(withState.stdout.match(/class="node"/g)).toHaveLength(5);
    expect(withState.stdout).toContain('>coredns</text>');
    expect(withState.stdout).toContain('>namespace kube&#45;system</text>');
  });

  it('prints the DOT of one namespace, and takes the format from -o', async () => {
    const dot = await run('graph', 'backend', '--flows', flows, '--format', 'dot');
    expect(dot.code).toBe(0);
    expect(dot.stdout).toMatch(/^digraph flows \{/);
    expect(dot.stdout).toContain('label="observed flows in backend"');
    expect(dot.stdout).not.toContain('198.51.100.4');
    const out = join(dir, 'g.svg');
    expect((await run('graph', '--flows', flows, '-o', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('</svg>');
  });

  it('names every bad input', async () => {
    expect(await run('graph', '-o', join(dir, 'x.png'))).toMatchObject({
      code: 2,
      stderr: 'netpol: E_USAGE: --flows is required (see netpol --help)\n',
    });
    expect(
      (await run('graph', '--flows', join(dir, 'absent.json'), '-o', join(dir, 'x.png'))).stderr,
    ).toMatch(/^netpol: E_FLOWS: cannot read flows file .*absent\.json: no such file\n$/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ v: 1, flows: [FLOWS[0], { ...FLOWS[1], verdict: 'dropped' }] }));
    const badRun = await run('graph', '--flows', bad, '--format', 'dot');
    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toMatch(
      /^netpol: E_FLOWS: flows file .*bad\.json: entry 1 \(flows\[1\]\.verdict\): /,
    );
    expect((await run('graph', '--flows', flows)).stderr).toBe(
      'netpol: E_USAGE: a PNG needs a file: -o graph.png (or --format svg|dot to print it)\n',
    );
    expect((await run('graph', '--flows', flows, '--format', 'jpeg')).stderr).toBe(
      'netpol: E_USAGE: --format "jpeg" is not one of png, svg, dot\n',
    );
    expect((await run('graph', 'a', '-n', 'b', '--flows', flows)).stderr).toContain('name two namespaces');
  });
});
