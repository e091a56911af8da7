/**
 * `netpol suggest` in-process through runCli: an observed-flows file and the reference cluster give
 * the policies `/netpol suggest` would, printed as YAML or JSON; under the cluster with them applied
 * (the evaluator) the flows seen allowed pass and the rest of the namespace's traffic does not;
 * --all allows the flows seen blocked too; every bad input is named.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStateFile } from '../../src/adapters/files/state-file';
import { runCli } from '../../src/cli/main';
import type { ObservedFlow, ObservedFlowsFile } from '../../src/contracts/observed-flows';
import { buildPolicyIndex, evaluateConnection, type TrafficEndpoint } from '../../src/core/evaluator';
import type { ClusterState } from '../../src/core/state/cluster-state';

const EXAMPLE = join(__dirname, '../../examples/reference-cluster.yaml');

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const nginx = (namespace: string) => ({
  kind: 'workload' as const,
  namespace,
  name: 'nginx',
  selector: { app: 'nginx' },
});
const seen = { firstSeen: '2026-12-01T10:00:00.000Z', lastSeen: '2026-12-01T10:05:00.000Z' };
const flow = (port: number, verdict: ObservedFlow['verdict']): ObservedFlow => ({
  source: nginx('frontend'),
  destination: nginx('backend'),
  protocol: 'TCP',
  port,
  verdict,
  count: 12,
  ...seen,
});
const FLOWS: ObservedFlow[] = [flow(80, 'allowed'), flow(8443, 'blocked')];

let dir: string;
let flows: string;
let state: ClusterState;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-suggest-cli-'));
  flows = join(dir, 'flows.json');
  writeFileSync(flows, JSON.stringify({ v: 1, cluster: 'ref', flows: FLOWS } satisfies ObservedFlowsFile));
  state = await loadStateFile(EXAMPLE);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The policies of `netpol suggest --output json` (one object, or a List of several). */
function printed(stdout: string): ClusterState['policies'] {
  const value = JSON.parse(stdout) as { kind: string; items?: ClusterState['policies'] };
  return value.kind === 'List' ? value.items! : [value as unknown as ClusterState['policies'][number]];
}

/** Whether frontend's pod reaches backend's on `port` once `policies` are applied (same name: replaced). */
function reaches(policies: ClusterState['policies'], port: number): boolean {
  const key = (p: ClusterState['policies'][number]) => `${p.metadata.namespace}/${p.metadata.name}`;
  const applied = new Set(policies.map(key));
  const after = { ...state, policies: [...state.policies.filter((p) => !applied.has(key(p))), ...policies] };
  const pod = (namespace: string): TrafficEndpoint => ({
    kind: 'pod',
    pod: after.pods.find((p) => p.namespace === namespace)!,
  });
  return evaluateConnection(buildPolicyIndex(after), pod('frontend'), pod('backend'), port, 'TCP').allowed;
}

describe('netpol suggest', () => {
  it('prints the policies that allow the flows seen allowed, and nothing else, with the flows on stderr', async () => {
    const r = await run('suggest', 'backend', '--flows', flows, '--state', EXAMPLE, '--output', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('[x] frontend/nginx -> backend/nginx tcp/80 (allowed, 12 seen)');
    expect(r.stderr).toContain('[ ] frontend/nginx -> backend/nginx tcp/8443 (blocked, 12 seen)');
    expect(r.stderr).toContain('1 flow(s) seen blocked stay blocked');
    expect(r.stderr).toContain('netpol: request: deny all in backend');
    const policies = printed(r.stdout);
    expect(policies.length).toBeGreaterThan(0);
    expect(policies.every((p) => p.metadata.namespace === 'backend')).toBe(true);
    expect(reaches(policies, 80)).toBe(true);
    expect(reaches(policies, 8443)).toBe(false);
    expect(reaches(policies, 9090)).toBe(false);
  });

  it('--all allows the flows seen blocked too; YAML by default', async () => {
    const r = await run('suggest', 'backend', '--flows', flows, '--state', EXAMPLE, '--all');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^apiVersion: networking\.k8s\.io\/v1/m);
    const json = await run(
      'suggest',
      'backend',
      '--flows',
      flows,
      '--state',
      EXAMPLE,
      '--all',
      '--output',
      'json',
    );
    const policies = printed(json.stdout);
    expect(reaches(policies, 80)).toBe(true);
    expect(reaches(policies, 8443)).toBe(true);
    expect(reaches(policies, 9090)).toBe(false);
  });

  it('says when nothing was seen, and names every bad input', async () => {
    const quiet = await run('suggest', 'payments', '--flows', flows, '--state', EXAMPLE);
    expect(quiet).toMatchObject({ code: 0, stdout: '' });
    expect(quiet.stderr).toContain('no flows to or from namespace payments');
    expect(await run('suggest', '--flows', flows)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('E_USAGE: suggest needs a namespace'),
    });
    expect((await run('suggest', 'Backend!', '--flows', flows)).stderr).toContain(
      '"Backend!" is not a namespace name',
    );
    expect((await run('suggest', 'backend')).stderr).toBe(
      'netpol: E_USAGE: --flows is required (see netpol --help)\n',
    );
    expect((await run('suggest', 'backend', '--flows', join(dir, 'absent.json'))).stderr).toMatch(
      /^netpol: E_FLOWS: cannot read flows file .*absent\.json: no such file\n$/,
    );
  });
});
