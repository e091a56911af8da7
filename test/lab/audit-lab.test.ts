/**
 * Audit mode end to end on real packets (issue 10): the control-plane harness (real bot, policy
 * worker, real redis-server, the Slack and Kubernetes API stand-ins) and a one-node lab of
 * examples/reference-cluster.yaml whose real agent watches that same stand-in and writes its flows
 * to that same Redis (scenario-lab.ts).
 *
 * `/netpol deny ingress in backend --audit 20s`, approved: frontend's real connections to backend
 * keep answering (audit mode drops nothing, and no drop alert is posted), the agent reports them as
 * 'would-block' flows naming the policy; when the window ends the request's thread gets the report
 * naming frontend/nginx -> backend/nginx tcp/80 with an Enforce button; Enforce -> Submit -> Approve
 * (Bob) applies the policy without the annotation, and the agent starts dropping those connections.
 *
 * Synchronised only on observable conditions (curl's answer, the flow store, the stand-in's messages
 * and objects). Needs root, bpffs and the built eBPF objects: like the other test/lab files it FAILS
 * with the reason when one is missing (ensureDataplanePrerequisites), never skips silently. The last
 * test removes the lab and checks that no namespace, pinned map, process or file is left.
 */
import Redis from 'ioredis';
import { FlowStore } from '../../src/adapters/redis/flow-store';
import type { ObservedFlow } from '../../src/contracts/observed-flows';
import {
  ALICE,
  APPROVAL_CHANNEL,
  BACKEND_ALERT_CHANNEL,
  BOB,
  buttonValue,
  REQUEST_CHANNEL,
  type ControlPlane,
} from '../../src/devtools/control-plane';
import type { LabInventory } from '../../src/devtools/lab/lab';
import { ScenarioLab, type CurlResult } from '../../src/devtools/lab/scenario-lab';
import { leftovers } from '../dataplane/support/leftovers';
import { startControlPlaneLab } from './support/control-plane-lab';

const PREFIX = `nplab-${process.pid}-au-`;
/** examples/reference-cluster.yaml's pods, as the lab names them. */
const FRONTEND = 'frontend/nginx-7c5ddbdf54-2xkqp';
const BACKEND = 'backend/nginx-6d4cf56db6-8p9wz';
const AUDIT = 'netpol.io/audit';
const WINDOW = '20s';
/** The flow as the report and the alerts write it (the stand-in holds the report's text escaped). */
const FLOW_LINE = 'frontend/nginx → backend/nginx tcp/80';
const HEADLINE = 'frontend/nginx -&gt; backend/nginx tcp/80';

const answered = (r: CurlResult) => !('timeout' in r);
const timedOut = (r: CurlResult) => 'timeout' in r;

interface LivePolicy {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
}

let plane: ControlPlane | undefined;
let scenario: ScenarioLab | undefined;
let inventory: LabInventory | undefined;

beforeAll(async () => {
  ({ plane, scenario, inventory } = await startControlPlaneLab({
    labPrefix: PREFIX,
    waitForPod: BACKEND,
  }));
}, 180_000);

afterAll(async () => {
  await scenario?.lab.destroy();
  await plane?.close();
}, 60_000);

/** Submits the draft as ALICE and has BOB approve it; the approval card as it was approved. */
async function submitAndApprove(draftId: string): Promise<{ ts: string; blocks: string }> {
  const slack = plane!.slack;
  await plane!.click({
    actionId: 'netpol_submit',
    value: draftId,
    user: ALICE,
    channel: REQUEST_CHANNEL,
    ephemeral: true,
  });
  const card = await slack.waitForMessage(
    APPROVAL_CHANNEL,
    (m) =>
      JSON.stringify(m.blocks ?? []).includes('netpol_approve') && JSON.stringify(m.blocks).includes(draftId),
    10_000,
  );
  await plane!.click({
    actionId: 'netpol_approve',
    value: buttonValue(card.blocks, 'netpol_approve'),
    user: BOB,
    channel: APPROVAL_CHANNEL,
    messageTs: card.ts,
  });
  return { ts: card.ts, blocks: JSON.stringify(card.blocks) };
}

/** The policy of that request in the API, once there. */
function appliedBy(requestId: string): Promise<LivePolicy> {
  return plane!.kube.waitFor(
    (store) =>
      (store.list('networkpolicies', 'backend') as unknown as LivePolicy[]).find(
        (p) => p.metadata.annotations?.['netpol.io/request-id'] === requestId,
      ),
    15_000,
  );
}

describe('netpol lab: audit mode on real packets (issue 10)', () => {
  test('audit drops nothing and reports what it would have blocked; Enforce -> approve -> the agent drops', async () => {
    const lab = scenario!;
    const slack = plane!.slack;
    await lab.curlUntil(FRONTEND, BACKEND, answered);

    const { reply } = await plane!.slash(`deny ingress in backend --audit ${WINDOW}`);
    const draftId = buttonValue(reply.blocks, 'netpol_submit');
    const card = await submitAndApprove(draftId);
    const audited = await appliedBy(draftId);
    expect(audited.metadata.annotations?.[AUDIT]).toBe(WINDOW);
    const key = `backend/${audited.metadata.name}`;

    // Real connections during the window: every one answers, and the agent reports them as
    // would-block flows naming the policy.
    const client = new Redis(plane!.redis.url, { maxRetriesPerRequest: null });
    const store = new FlowStore(client, 'netpol');
    const results: CurlResult[] = [];
    const isReported = (flows: ObservedFlow[]) =>
      flows.some(
        (f) =>
          f.verdict === 'would-block' &&
          f.source.kind === 'workload' &&
          `${f.source.namespace}/${f.source.name}` === 'frontend/nginx' &&
          f.port === 80 &&
          (f.auditPolicies ?? []).includes(key),
      );
    const deadline = Date.now() + 15_000;
    try {
      for (;;) {
        results.push(await lab.curl(FRONTEND, BACKEND));
        if (isReported(await store.list('prod', 'backend', new Date()))) break;
        if (Date.now() > deadline)
          throw new Error('the agent reported no would-block flow naming the policy');
      }
    } finally {
      client.disconnect();
    }
    expect(results.filter(timedOut)).toEqual([]);

    const report = await slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => m.thread_ts === card.ts && m.text.startsWith('Audit of request'),
      60_000,
    );
    expect(report.text).toMatch(
      new RegExp(
        `^Audit of request ${draftId} ended: it would have blocked [\\d,]+ connections? in \\d+ flows?$`,
      ),
    );
    const shown = JSON.stringify(report.blocks);
    // One lab node saw them: the report names it, as drop alerts count nodes.
    expect(shown).toMatch(new RegExp(`${FLOW_LINE}: [\\d,]+ connections?, node lab-node \\(by ${key}\\)`));
    expect(shown).toContain('stays in audit mode: nothing is dropped until it is enforced');
    // Still nothing dropped, and so no drop alert, after the whole window.
    expect(answered(await lab.curl(FRONTEND, BACKEND))).toBe(true);
    expect(slack.messages(BACKEND_ALERT_CHANNEL).filter((m) => m.text.includes(HEADLINE))).toEqual([]);

    const click = await plane!.click({
      actionId: 'netpol_audit_enforce',
      value: buttonValue(report.blocks, 'netpol_audit_enforce'),
      user: ALICE,
      channel: APPROVAL_CHANNEL,
      messageTs: report.ts,
    });
    const preview = await plane!.replyOn(click.responseUrlId);
    expect(JSON.stringify(preview.blocks)).not.toContain(AUDIT);
    const enforceId = buttonValue(preview.blocks, 'netpol_submit');
    const enforceCard = await submitAndApprove(enforceId);
    expect(enforceCard.blocks).not.toContain(AUDIT);
    const enforced = await appliedBy(enforceId);
    expect(enforced.metadata.name).toBe(audited.metadata.name);
    expect(enforced.metadata.annotations?.[AUDIT]).toBeUndefined();
    // The agent sees the annotation go and enforces: new connections are dropped.
    await lab.curlUntil(FRONTEND, BACKEND, timedOut);
    await lab.dropsUntil((event) => event.pod?.namespace === 'backend' && event.destinationPort === 80);
  }, 150_000);

  test('clean-up leaves no namespace, pinned map, process or file behind', async () => {
    const made = inventory!;
    expect(made.namespaces.length).toBeGreaterThan(3);
    await scenario!.lab.destroy();
    await expect(
      leftovers({ netnsPrefix: PREFIX, pinDirs: made.pinDirs, pids: made.pids, dirs: [made.workDir] }),
    ).resolves.toEqual([]);
  }, 60_000);
});
