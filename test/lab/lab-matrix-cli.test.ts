/**
 * `netpol lab matrix` as the README runs it (issue 9): the CLI command on the reference cluster's
 * state file, with policies that isolate backend and kube-system, must print the same JSON as
 * `netpol matrix` for the same file, cell for cell. The reference cluster's coredns declares only
 * 53/UDP: probing TCP/80 and UDP/53 covers a pod that does not declare the probed port (which the
 * lab serves anyway, so a cell says what policy allows) and one that does. Needs root (fails, never
 * skips, without it).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliCaptured } from '../support/run-cli';
import { REPO_ROOT, ensureDataplanePrerequisites } from '../dataplane/support/dataplane-prerequisites';

const POLICIES = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress, namespace: backend}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns-only, namespace: kube-system}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: 53, protocol: UDP}]
`;

let dir: string;
let stateFile: string;

async function cli(argv: string[]): Promise<Record<string, Record<string, boolean>>> {
  const { code, stdout, stderr } = await runCliCaptured(argv);
  if (code !== 0) throw new Error(`netpol ${argv.join(' ')} exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as Record<string, Record<string, boolean>>;
}

beforeAll(() => {
  ensureDataplanePrerequisites();
  dir = mkdtempSync(join(tmpdir(), 'np-lab-matrix-cli-'));
  stateFile = join(dir, 'reference-with-policies.yaml');
  writeFileSync(
    stateFile,
    readFileSync(join(REPO_ROOT, 'examples', 'reference-cluster.yaml'), 'utf8') + POLICIES,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['80', 'TCP'],
  ['53', 'UDP'],
])('netpol lab matrix --port %s --protocol %s on the reference cluster with policies', (port, protocol) => {
  it('equals netpol matrix cell for cell', async () => {
    const args = ['--state', stateFile, '--port', port, '--protocol', protocol, '--output', 'json'];
    const expected = await cli(['matrix', ...args]);
    // The policies leave some pairs open and close others: the comparison can tell them apart.
    const cells = Object.values(expected).flatMap((row) => Object.values(row));
    expect(cells).toContain(true);
    expect(cells).toContain(false);
    expect(await cli(['lab', 'matrix', ...args])).toEqual(expected);
  }, 120_000);
});
