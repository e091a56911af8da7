/**
 * The reference scenario through the whole control plane, for a person to watch: a real
 * redis-server, the Kubernetes and Slack API stand-ins on loopback, the real bot (Bolt's HTTP
 * receiver, driven with signed requests) and a real policy worker. Prints the conversation as Slack
 * would show it, and the cluster's reachability before and after. Run by scripts/run.sh.
 *
 * As root (with BPF), the scenario is also played on real packets (lab/scenario-lab.ts): the
 * stand-in is loaded with examples/reference-cluster.yaml, a one-node lab serves HTTP in its pods
 * and a real agent watches that same stand-in, so curl from frontend's nginx to backend's answers
 * 200, times out once default-deny-ingress is created, and answers 200 again once the approved
 * policy is applied; the agent's drop events are read back from Redis. Without root this part is
 * skipped with one line saying why. Everything is removed on exit, failure or Ctrl-C.
 */
import { join } from 'node:path';
import { NetworkingV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { buildPolicyIndex, computeMatrix } from '../core/evaluator';
import { renderMatrixTable } from '../core/query/render-matrix';
import { stateFromObjects } from '../core/state/load-state';
import { findRepoRoot } from '../platform/entry-point';
import {
  ALICE,
  APPROVAL_CHANNEL,
  BACKEND_ALERT_CHANNEL,
  BOB,
  buttonValue,
  REQUEST_CHANNEL,
  startControlPlane,
  type ControlPlane,
} from './control-plane';
import {
  describeCurl,
  describeDrop,
  emptyStandIn,
  ScenarioLab,
  whyNoLab,
  type CurlResult,
} from './lab/scenario-lab';

/** The reference cluster's pods (examples/reference-cluster.yaml), as the lab names them. */
const FRONTEND = 'frontend/nginx-7c5ddbdf54-2xkqp';
const BACKEND = 'backend/nginx-6d4cf56db6-8p9wz';
const DEFAULT_DENY = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'default-deny-ingress', namespace: 'backend' },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
};
const answered = (r: CurlResult) => !('timeout' in r);
const timedOut = (r: CurlResult) => 'timeout' in r;

function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

function heading(text: string): void {
  say();
  say(`\u001b[1m== ${text}\u001b[0m`);
}

/** What a person reads in a Block Kit message: its section, header and context texts. */
function readable(blocks: unknown): string {
  const lines: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    if (obj.type === 'button' && typeof obj.text === 'object' && obj.text !== null) {
      lines.push(`[ ${(obj.text as { text: string }).text} ]`);
      return;
    }
    if ((obj.type === 'mrkdwn' || obj.type === 'plain_text') && typeof obj.text === 'string') {
      lines.push(obj.text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
      return;
    }
    Object.values(obj).forEach(walk);
  };
  walk(blocks);
  return lines.map((l) => l.replace(/^/gm, '  │ ')).join('\n');
}

function matrix(plane: ControlPlane, title: string): void {
  const objects = [
    ...plane.kube.store.list('namespaces').map((o) => ({ ...o, kind: 'Namespace' })),
    ...plane.kube.store.list('pods').map((o) => ({ ...o, kind: 'Pod' })),
    ...plane.kube.store.list('networkpolicies').map((o) => ({ ...o, kind: 'NetworkPolicy' })),
  ];
  say(
    renderMatrixTable(
      computeMatrix(buildPolicyIndex(stateFromObjects(objects)), { port: 80, protocol: 'TCP' }),
      title,
    ),
  );
}

/**
 * Makes the stand-in hold examples/reference-cluster.yaml (its own reference objects removed),
 * builds the lab whose agent watches it, and plays the first half on the wire: 200, then
 * default-deny-ingress created through the API, then a timeout and the drops it caused.
 */
async function realPacketsBefore(plane: ControlPlane, scenario: ScenarioLab): Promise<void> {
  await emptyStandIn(plane.kube);
  const networking = plane.kube.kubeConfig().makeApiClient(NetworkingV1Api);
  heading(
    'Real packets: a lab of examples/reference-cluster.yaml, its agent watching the same Kubernetes API',
  );
  await scenario.lab.build();
  for (const pod of scenario.lab.plan.pods)
    say(`  pod ${pod.key.padEnd(40)} ${pod.ips[0]!.padEnd(12)} netns ${pod.netns}`);
  say(
    `  agent on node ${scenario.lab.plan.nodes[0]!.name}: ready; drop events to Redis stream ${scenario.streamKey}`,
  );

  heading(`curl ${FRONTEND} -> http://${scenario.pod(BACKEND).ips[0]!}/`);
  say(`  ${describeCurl((await scenario.curlUntil(FRONTEND, BACKEND, answered)).result)}`);

  heading('kubectl apply: default-deny-ingress in backend (created through the Kubernetes API stand-in)');
  say(stringify(DEFAULT_DENY).replace(/^/gm, '  '));
  const created = Date.now();
  await networking.createNamespacedNetworkPolicy({ namespace: 'backend', body: DEFAULT_DENY });
  const cut = await scenario.curlUntil(FRONTEND, BACKEND, timedOut);
  heading(`curl ${FRONTEND} -> backend, with -m 1`);
  say(
    `  ${describeCurl(cut.result)} (curl try ${cut.tries}; ${Date.now() - created} ms after the API write)`,
  );

  heading(`The agent's drop events (XRANGE ${scenario.streamKey})`);
  const drops = await scenario.dropsUntil(
    (e) => e.pod?.name === scenario.pod(BACKEND).name && e.peer?.name === scenario.pod(FRONTEND).name,
  );
  const betweenPods = drops.filter((e) => e.pod !== null && e.peer !== null);
  for (const event of betweenPods.slice(0, 5)) say(`  ${describeDrop(event)}`);
  if (betweenPods.length > 5) say(`  ... and ${betweenPods.length - 5} more between pods`);
  const others = drops.length - betweenPods.length;
  if (others > 0)
    say(`  (and ${others} from addresses that are no pod's, such as IPv6 link-local multicast)`);
}

/**
 * The drops in between, as the channel shows them: the worker's alert worker read the agent's
 * stream and posted one aggregated message in backend's alert channel (issue 10).
 */
async function dropAlert(plane: ControlPlane): Promise<void> {
  const alert = await plane.slack.waitForMessage(
    BACKEND_ALERT_CHANNEL,
    (m) => m.text.includes('frontend/nginx -&gt; backend/nginx'),
    15_000,
  );
  heading('posted in #backend-alerts by the alert worker: the drops in between, aggregated');
  say(readable(alert.blocks));
}

/** The last step on the wire: the approved policy, applied by the worker, lets frontend through. */
async function realPacketsAfter(scenario: ScenarioLab, appliedAt: number): Promise<void> {
  const restored = await scenario.curlUntil(FRONTEND, BACKEND, answered);
  heading(`curl ${FRONTEND} -> backend, with the approved policy`);
  say(
    `  ${describeCurl(restored.result)} (${Date.now() - appliedAt} ms after the API held the policy, curl try ${restored.tries})`,
  );
}

/** Runs `cleanUp` once, on return, failure, or SIGINT/SIGTERM (then exits 130). */
function cleanUpOnce(cleanUp: () => Promise<void>): { run(): Promise<void> } {
  let running: Promise<void> | undefined;
  const run = (): Promise<void> => (running ??= cleanUp());
  const onSignal = (): void => {
    process.stderr.write('interrupted: removing the lab and stopping the control plane\n');
    void run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    run: () =>
      run().finally(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }),
  };
}

export async function main(): Promise<void> {
  let plane: ControlPlane | undefined;
  let scenario: ScenarioLab | undefined;
  const cleanUp = cleanUpOnce(async () => {
    await scenario?.lab.destroy();
    await plane?.close();
  });
  // A closed stdout (the demo piped into head) must not kill it before it removes the lab.
  process.stdout.on('error', () => undefined);
  try {
    // The lab's agent publishes under netpol's default prefix: the alert worker reads it there.
    plane = await startControlPlane({ prefix: 'netpol' });
    const repoRoot = findRepoRoot(__dirname);
    const why =
      repoRoot === null ? `the repository (no package.json above ${__dirname})` : whyNoLab(repoRoot);
    if (why !== null) {
      say(`Real packets skipped: the lab needs ${why}.`);
    } else {
      scenario = ScenarioLab.prepare({
        repoRoot: repoRoot!,
        stateFile: join(repoRoot!, 'examples', 'reference-cluster.yaml'),
        standIn: plane.kube,
        redisUrl: plane.redis.url,
        cluster: plane.config.clusters[0]!,
        progress: (line) => say(`  lab: ${line}`),
      });
      await realPacketsBefore(plane, scenario);
    }
    await plane.startWorker();
    await plane.waitForSnapshot();
    if (scenario !== undefined) await dropAlert(plane);
    heading('The cluster: nginx in frontend and backend; backend has a default-deny-ingress policy');
    matrix(plane, 'reachability on TCP/80: frontend cannot reach backend');

    heading(`<@${ALICE}> types in #netpol-ops:  /netpol allow frontend nginx to backend`);
    const { reply } = await plane.slash('allow frontend nginx to backend', { user: ALICE });
    say('ephemeral preview (only Alice sees it):');
    say(readable(reply.blocks));

    heading('Alice clicks Submit');
    const draftId = buttonValue(reply.blocks, 'netpol_submit');
    const submitted = await plane.click({
      actionId: 'netpol_submit',
      value: draftId,
      user: ALICE,
      channel: REQUEST_CHANNEL,
      ephemeral: true,
    });
    say(readable((await plane.replyOn(submitted.responseUrlId)).blocks));
    const approval = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => JSON.stringify(m.blocks ?? []).includes(draftId),
      10_000,
    );
    say('posted in #approvals:');
    say(readable(approval.blocks));

    heading(`<@${ALICE}>, who is not an approver, clicks Approve`);
    const self = await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: ALICE,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    say(readable((await plane.replyOn(self.responseUrlId)).blocks));

    heading(`<@${BOB}> (an approver) clicks Approve`);
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    const applied = await plane.kube.waitFor(
      (store) =>
        store
          .list('networkpolicies', 'backend')
          .find(
            (p) =>
              (p.metadata as { annotations?: Record<string, string> }).annotations?.[
                'netpol.io/request-id'
              ] === draftId,
          ),
      10_000,
    );
    const appliedAt = Date.now();
    const reply2 = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => m.thread_ts === approval.ts,
      10_000,
    );
    say('the approval message, edited in place:');
    say(readable(plane.slack.message(APPROVAL_CHANNEL, approval.ts)?.blocks));
    say('in its thread:');
    say(readable(reply2.blocks ?? [{ type: 'mrkdwn', text: reply2.text }]));

    heading('The NetworkPolicy as the Kubernetes API now holds it');
    const { metadata, spec } = applied as { metadata: Record<string, unknown>; spec: unknown };
    say(
      stringify({
        metadata: {
          name: metadata.name,
          namespace: metadata.namespace,
          labels: metadata.labels,
          annotations: metadata.annotations,
        },
        spec,
      }).replace(/^/gm, '  '),
    );
    matrix(plane, 'reachability on TCP/80: frontend reaches backend again');

    if (scenario !== undefined) await realPacketsAfter(scenario, appliedAt);

    heading('/netpol show backend');
    await plane.waitForSnapshot((state) => state.policies.length >= 2);
    say(readable((await plane.slash('show backend', { user: ALICE })).reply.blocks));
  } finally {
    await cleanUp.run();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(
        `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
