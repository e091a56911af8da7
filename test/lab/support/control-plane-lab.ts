/**
 * The control plane (bot, workers, Slack and Kubernetes API stand-ins, real Redis) over a lab of
 * real pods playing examples/reference-cluster.yaml, with one real agent per node: what the
 * real-packet end-to-end tests (alerts-lab, audit-lab) start in beforeAll. Ready when the workers'
 * snapshot holds the lab's backend pod.
 */
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../../src/devtools/control-plane';
import type { LabInventory } from '../../../src/devtools/lab/lab';
import { emptyStandIn, ScenarioLab } from '../../../src/devtools/lab/scenario-lab';
import { REPO_ROOT, ensureDataplanePrerequisites } from '../../dataplane/support/dataplane-prerequisites';

export interface ControlPlaneLab {
  plane: ControlPlane;
  scenario: ScenarioLab;
  inventory: LabInventory;
}

export async function startControlPlaneLab(options: {
  /** Prefix of the lab's namespaces and links, unique per test file. */
  labPrefix: string;
  /** A pod ("namespace/name") the workers' snapshot must hold before the tests start. */
  waitForPod: string;
  alertWindowMs?: number;
}): Promise<ControlPlaneLab> {
  ensureDataplanePrerequisites();
  // The lab's agent writes under netpol's default prefix: the workers read it there.
  const plane = await startControlPlane({
    prefix: 'netpol',
    ...(options.alertWindowMs === undefined ? {} : { alertWindowMs: options.alertWindowMs }),
  });
  // The harness starts with its own reference objects; the lab's pods (real addresses) replace them.
  await emptyStandIn(plane.kube);
  const scenario = ScenarioLab.prepare({
    repoRoot: REPO_ROOT,
    stateFile: join(REPO_ROOT, 'examples', 'reference-cluster.yaml'),
    standIn: plane.kube,
    redisUrl: plane.redis.url,
    cluster: plane.config.clusters[0]!,
    progress: () => undefined,
    prefix: options.labPrefix,
    // Every new allowed connection reported, every half second: what /netpol suggest reads, and
    // would-block flows reach the store well within an audit window.
    agentEnv: { NETPOL_FLOW_SAMPLE_ONE_IN: '1', NETPOL_FLOW_INTERVAL: '500ms' },
  });
  try {
    await scenario.lab.build();
    const inventory = scenario.lab.inventory();
    await plane.startWorker();
    await plane.waitForSnapshot((state) =>
      state.pods.some((p) => `${p.namespace}/${p.name}` === options.waitForPod),
    );
    return { plane, scenario, inventory };
  } catch (err) {
    await scenario.lab.destroy();
    await plane.close();
    throw err;
  }
}
