/**
 * Dual-stack pods on real packets (issue 9): pods with an IPv4 and an IPv6 address (status.podIPs)
 * on two nodes, policies by selector and by ipBlock. The evaluator judges pods, matching ipBlocks
 * against a pod's primary address (status.podIP) only; the agents put both addresses in the
 * ipcache under the pod's identity. So the lab's matrix over the IPv4 addresses AND the one over
 * the IPv6 addresses must both equal `netpol matrix`, cell for cell, including an ipBlock that
 * names a pod's secondary (IPv6) address, which admits nobody. Root only; clean-up is checked.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/main';
import { Lab, type LabInventory } from '../../src/devtools/lab/lab';
import { planLab } from '../../src/devtools/lab/lab-plan';
import { listNetns } from '../../src/devtools/lab/netns';
import {
  LOADER_PATH,
  OBJECT_PATH,
  REPO_ROOT,
  ensureDataplanePrerequisites,
} from '../dataplane/support/dataplane-prerequisites';

const PREFIX = `nplab-${process.pid}-ds-`;

function namespace(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
  };
}

function pod(ns: string, name: string, node: string, ipv4: string, ipv6: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ns, name, labels: { app: name } },
    spec: { nodeName: node, containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] },
    status: { phase: 'Running', podIP: ipv4, podIPs: [{ ip: ipv4 }, { ip: ipv6 }] },
  };
}

function ingress(name: string, podSelector: object, from: object[]) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { namespace: 'y', name },
    spec: {
      podSelector,
      policyTypes: ['Ingress'],
      ...(from.length > 0 ? { ingress: [{ from, ports: [{ protocol: 'TCP', port: 80 }] }] } : {}),
    },
  };
}

const STATE = {
  apiVersion: 'v1',
  kind: 'List',
  metadata: { resourceVersion: '' },
  items: [
    namespace('x'),
    namespace('y'),
    pod('x', 'a', 'node-1', '10.91.0.1', 'fd91::1'),
    pod('x', 'b', 'node-2', '10.91.0.2', 'fd91::2'),
    pod('y', 'a', 'node-1', '10.91.1.1', 'fd91:1::1'),
    pod('y', 'b', 'node-2', '10.91.1.2', 'fd91:1::2'),
    ingress('deny-all', {}, []),
    ingress('from-x-a', {}, [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'x' } },
        podSelector: { matchLabels: { app: 'a' } },
      },
    ]),
    // x/b's primary address: x/b is admitted to y/b, over IPv4 and IPv6 alike.
    ingress('b-by-primary', { matchLabels: { app: 'b' } }, [{ ipBlock: { cidr: '10.91.0.2/32' } }]),
    // x/b's secondary address: the evaluator matches ipBlocks on the primary only, so nobody.
    ingress('a-by-secondary', { matchLabels: { app: 'a' } }, [{ ipBlock: { cidr: 'fd91::2/128' } }]),
  ],
};

let lab: Lab | undefined;
let inventory: LabInventory | undefined;
let dir: string;

async function netpolMatrix(file: string): Promise<Record<string, Record<string, boolean>>> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    ['matrix', '--state', file, '--port', '80', '--protocol', 'TCP', '--output', 'json'],
    {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
    },
  );
  if (code !== 0) throw new Error(`netpol matrix exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as Record<string, Record<string, boolean>>;
}

beforeAll(async () => {
  ensureDataplanePrerequisites();
  dir = mkdtempSync(join(tmpdir(), PREFIX));
  lab = Lab.prepare({
    plan: planLab(STATE.items, { prefix: PREFIX }),
    repoRoot: REPO_ROOT,
    form: 'source',
    bpfObject: OBJECT_PATH,
    bpfLoader: LOADER_PATH,
  });
  try {
    await lab.build();
  } finally {
    inventory = lab.inventory();
  }
}, 180_000);

afterAll(async () => {
  await lab?.destroy();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('netpol lab: dual-stack pods', () => {
  test('the IPv4 matrix and the IPv6 matrix both equal netpol matrix, ipBlocks judged on the primary address', async () => {
    const file = join(dir, 'state.yaml');
    writeFileSync(file, stringify(STATE));
    const expected = await netpolMatrix(file);
    // Not a trivial table: the primary-address block admits x/b to y/b, the secondary one does not to y/a.
    expect(expected['x/b']).toMatchObject({ 'y/a': false, 'y/b': true });
    expect(expected['x/a']).toMatchObject({ 'y/a': true, 'y/b': true });
    expect(expected['y/a']).toMatchObject({ 'y/b': false });
    await expect(lab!.probeMatrix(80, 'TCP')).resolves.toEqual(expected);
    await expect(lab!.probeMatrix(80, 'TCP', 1_500, 6)).resolves.toEqual(expected);
  }, 60_000);

  test('clean-up leaves no namespace, pinned map, process or file behind', async () => {
    const made = inventory!;
    await lab!.destroy();
    await expect(listNetns(PREFIX)).resolves.toEqual([]);
    for (const pinDir of made.pinDirs) expect(existsSync(pinDir)).toBe(false);
    expect(
      made.pids.filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      }),
    ).toEqual([]);
    expect(existsSync(made.workDir)).toBe(false);
  }, 60_000);
});
