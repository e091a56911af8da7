/**
 * The truth tables on real packets (issue 9): for every TCP and UDP case of test/truth-table/
 * (SCTP aside: the kernel has none), the matrix the lab measures with the real agents equals, cell
 * for cell, what `netpol matrix` answers for the case's state. ONE lab for the x/y/z model, its
 * pods split over two nodes (so pairs cross the underlay and stay on a node in every namespace);
 * each case writes its labels and policies to the stand-in (Lab.converge), waits until both agents
 * enforce them (Lab.sync, through the canaries), then probes all 81 pairs at once. The last test
 * removes the lab and checks that no namespace, pinned map, process or file is left. Needs root
 * (fails, never skips, without it).
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
import { caseState, caseTitle, TRUTH_TABLE_CASES } from '../truth-table/cases';
import { toKubeList } from '../truth-table/kube-list';
import { xyzClusterState } from '../truth-table/xyz-model';

const PREFIX = `nplab-${process.pid}-`;
const CASES = TRUTH_TABLE_CASES.filter((c) => c.suite !== 'SCTP' && c.protocol !== 'SCTP');

/** Pods alternate between the nodes: x/a node-1, x/b node-2, x/c node-1, y/a node-2, ... */
function onTwoNodes(items: unknown[]): unknown[] {
  let i = 0;
  return items.map((item) => {
    const object = item as { kind: string; spec?: Record<string, unknown> };
    if (object.kind !== 'Pod') return item;
    return { ...object, spec: { ...object.spec, nodeName: i++ % 2 === 0 ? 'node-1' : 'node-2' } };
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let lab: Lab | undefined;
let inventory: LabInventory | undefined;
let dir: string;

async function netpolMatrix(file: string, port: number, protocol: string): Promise<unknown> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    ['matrix', '--state', file, '--port', String(port), '--protocol', protocol, '--output', 'json'],
    {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
    },
  );
  if (code !== 0) throw new Error(`netpol matrix exited ${code}: ${stderr}`);
  return JSON.parse(stdout);
}

beforeAll(async () => {
  ensureDataplanePrerequisites();
  dir = mkdtempSync(join(tmpdir(), `${PREFIX}cases-`));
  const plan = planLab(onTwoNodes(toKubeList(xyzClusterState()).items) as object[], {
    prefix: PREFIX,
    syncCanaries: true,
  });
  lab = Lab.prepare({
    plan,
    repoRoot: REPO_ROOT,
    form: 'source',
    bpfObject: OBJECT_PATH,
    bpfLoader: LOADER_PATH,
  });
  inventory = undefined;
  await lab.build();
  inventory = lab.inventory();
}, 180_000);

afterAll(async () => {
  await lab?.destroy();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('netpol lab: the truth tables on real packets (pods on two nodes)', () => {
  test('the lab is split over two nodes, and every case is TCP or UDP', () => {
    expect(lab!.plan.nodes.map((node) => node.name)).toEqual(['node-1', 'node-2']);
    expect(new Set(lab!.plan.pods.map((pod) => pod.node))).toEqual(new Set(['node-1', 'node-2']));
    expect(CASES.length).toBeGreaterThan(50);
  });

  test.each(CASES.map((c, i) => [caseTitle(c), c, i] as const))(
    '%s',
    async (_title, c, i) => {
      const state = toKubeList(caseState(c));
      const file = join(dir, `case-${i}.yaml`);
      writeFileSync(file, stringify(state));
      const expected = await netpolMatrix(file, c.port, c.protocol);
      await lab!.converge(state.items as object[]);
      await lab!.sync();
      const measured = await lab!.probeMatrix(c.port, c.protocol as 'TCP' | 'UDP');
      expect(measured).toEqual(expected);
    },
    90_000,
  );

  test('clean-up leaves no namespace, link, pinned map, process or file behind', async () => {
    const made = inventory!;
    expect(made.namespaces.length).toBeGreaterThan(10);
    await lab!.destroy();
    await expect(listNetns(PREFIX)).resolves.toEqual([]);
    for (const pinDir of made.pinDirs) expect(existsSync(pinDir)).toBe(false);
    expect(made.pids.filter(isAlive)).toEqual([]);
    expect(existsSync(made.workDir)).toBe(false);
  }, 60_000);
});
