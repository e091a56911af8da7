/**
 * Audit mode's report and Enforce end to end (issue 10) over the control-plane harness: a request
 * typed with `--audit 10s`, approved and applied by the real worker to the Kubernetes API stand-in
 * (the policy keeps `netpol.io/audit`); would-block flows written to the flow store as node agents
 * write them; when the window ends, ONE report in the request's thread (the approval message's)
 * naming what would have been blocked and offering Enforce; Enforce -> a new request by the clicker
 * whose approval card shows no audit annotation -> approved by another -> the policy in the API has
 * none. Also: the report when nothing would have been blocked (Enforce clicked by an approver, who may
 * not approve it: another does), a worker restarted between the apply and the due time
 * reporting once (with no node agent beating meanwhile: nothing watched, said so), and a second audit
 * of the same policy not counting the first one's flows.
 */
import { Queue, QueueEvents } from 'bullmq';
import Redis from 'ioredis';
import { FlowStore } from '../../src/adapters/redis/flow-store';
import { HeartbeatStore } from '../../src/adapters/redis/heartbeat-store';
import { HEARTBEAT_VERSION } from '../../src/contracts/heartbeat';
import { applyQueueName, auditReportJobId, auditReportQueueName } from '../../src/contracts/queues';
import type { FlowPeer, ObservedFlow } from '../../src/contracts/observed-flows';
import {
  ALICE,
  APPROVAL_CHANNEL,
  BOB,
  buttonValue,
  CAROL,
  REQUEST_CHANNEL,
  startControlPlane,
  type ControlPlane,
} from '../../src/devtools/control-plane';

jest.setTimeout(120_000);

const AUDIT = 'netpol.io/audit';
/** The window asked for (the grammar's shortest) and how long past it a report may take to show. */
const WINDOW = '10s';
const REPORT_WAIT_MS = 40_000;

interface LivePolicy {
  metadata: {
    name: string;
    namespace: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
}

const workload = (namespace: string, name: string): FlowPeer => ({
  kind: 'workload',
  namespace,
  name,
  selector: { app: name },
});

function wouldBlock(source: FlowPeer, port: number, count: number, auditPolicies: string[]): ObservedFlow {
  const now = new Date().toISOString();
  return {
    source,
    destination: workload('backend', 'nginx'),
    protocol: 'TCP',
    port,
    verdict: 'would-block',
    auditPolicies,
    count,
    firstSeen: now,
    lastSeen: now,
  };
}

describe('audit mode: the report and Enforce', () => {
  let plane: ControlPlane;
  let client: Redis;

  beforeAll(async () => {
    plane = await startControlPlane();
    client = new Redis(plane.redis.url, { maxRetriesPerRequest: null });
    await plane.startWorker();
    await plane.waitForSnapshot();
  });
  afterAll(async () => {
    client.disconnect();
    await plane.close();
  });

  const policiesIn = (namespace: string): LivePolicy[] =>
    plane.kube.store.list('networkpolicies', namespace) as unknown as LivePolicy[];

  /** Types the request as `requester`, submits it, has BOB approve it; resolves once it is in the API. */
  async function approveRequest(
    text: string,
    requester = ALICE,
  ): Promise<{ requestId: string; cardTs: string; cardBlocks: string; policy: LivePolicy }> {
    const { reply } = await plane.slash(text, { user: requester });
    const draftId = buttonValue(reply.blocks, 'netpol_submit');
    return submitAndApprove(draftId, requester);
  }

  /** Submits the draft as `requester`; resolves with its approval card. */
  async function submit(draftId: string, requester: string) {
    await plane.click({
      actionId: 'netpol_submit',
      value: draftId,
      user: requester,
      channel: REQUEST_CHANNEL,
      ephemeral: true,
    });
    return plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) =>
        JSON.stringify(m.blocks ?? []).includes('netpol_approve') &&
        JSON.stringify(m.blocks).includes(draftId),
      10_000,
    );
  }

  async function submitAndApprove(draftId: string, requester: string) {
    const card = await submit(draftId, requester);
    const cardBlocks = JSON.stringify(card.blocks);
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(card.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: card.ts,
    });
    const policy = await plane.kube.waitFor(
      () =>
        ['backend', 'frontend']
          .flatMap(policiesIn)
          .find((p) => p.metadata.annotations?.['netpol.io/request-id'] === draftId),
      10_000,
    );
    return { requestId: draftId, cardTs: card.ts, cardBlocks, policy };
  }

  const reportIn = (cardTs: string) => (m: { thread_ts?: string; text: string }) =>
    m.thread_ts === cardTs && m.text.startsWith('Audit of request');

  it('the preview of an --audit request warns when no node agent of the cluster reports, and not once one does', async () => {
    const preview = async () =>
      JSON.stringify(
        (await plane.slash(`deny all in backend --audit ${WINDOW}`, { user: ALICE })).reply.blocks,
      );
    const without = await preview();
    expect(without).toContain('Audit mode for 10s: nothing will be dropped');
    expect(without).toContain('no netpol node agent reports on cluster prod: audit mode needs them');
    expect(without).toContain('a CNI that enforces NetworkPolicies itself ignores netpol.io/audit');
    await agentBeats();
    expect(await preview()).not.toContain('no netpol node agent');
  });

  it('reports what would have been blocked in the thread; Enforce -> approval -> the policy is enforced', async () => {
    const audited = await approveRequest(`deny all in backend --audit ${WINDOW}`);
    expect(audited.policy.metadata.annotations?.[AUDIT]).toBe(WINDOW);
    expect(audited.cardBlocks).toContain(AUDIT);
    const key = `${audited.policy.metadata.namespace}/${audited.policy.metadata.name}`;

    // As the backend node's agent writes them (src/agent/flow-reporter.ts), during the window.
    await new FlowStore(client, plane.config.prefix).record(
      'prod',
      [
        wouldBlock(workload('frontend', 'nginx'), 80, 12, [key]),
        wouldBlock(workload('monitoring', 'prometheus'), 9090, 3, [key]),
        // Another audit's would-be drop, and traffic that passed: not this report's.
        wouldBlock(workload('frontend', 'nginx'), 8443, 99, ['backend/someone-elses-audit']),
        { ...wouldBlock(workload('frontend', 'nginx'), 443, 50, []), verdict: 'allowed' },
      ],
      new Date(),
    );

    const report = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      reportIn(audited.cardTs),
      REPORT_WAIT_MS,
    );
    expect(report.text).toBe(
      `Audit of request ${audited.requestId} ended: it would have blocked 15 connections in 2 flows`,
    );
    const shown = JSON.stringify(report.blocks);
    expect(shown).toContain(`The audit window of ${WINDOW} of request`);
    expect(shown).toContain(`frontend/nginx → backend/nginx tcp/80: 12 connections (by ${key})`);
    expect(shown).toContain(`monitoring/prometheus → backend/nginx tcp/9090: 3 connections (by ${key})`);
    expect(shown).not.toContain('8443');
    expect(shown).not.toContain('tcp/443');
    expect(shown).toContain('stays in audit mode: nothing is dropped until it is enforced');
    expect(plane.slack.messages(APPROVAL_CHANNEL).filter(reportIn(audited.cardTs))).toHaveLength(1);
    // Still in audit mode: the window passing enforces nothing by itself.
    expect(
      policiesIn('backend').find((p) => p.metadata.name === audited.policy.metadata.name)?.metadata
        .annotations?.[AUDIT],
    ).toBe(WINDOW);

    // Enforce, by the requester (not an approver): the preview of the same policy without audit mode.
    const click = await plane.click({
      actionId: 'netpol_audit_enforce',
      value: buttonValue(report.blocks, 'netpol_audit_enforce'),
      user: ALICE,
      channel: APPROVAL_CHANNEL,
      messageTs: report.ts,
    });
    expect(click.ack.status).toBe(200);
    const preview = await plane.replyOn(click.responseUrlId);
    expect(preview.response_type).toBe('ephemeral');
    const previewShown = JSON.stringify(preview.blocks);
    expect(previewShown).toContain('deny all in backend');
    expect(previewShown).not.toContain('--audit');
    expect(previewShown).not.toContain(AUDIT);
    expect(previewShown).toContain(audited.policy.metadata.name);

    const enforced = await submitAndApprove(buttonValue(preview.blocks, 'netpol_submit'), ALICE);
    // The approver approved exactly what the card showed: no audit annotation.
    expect(enforced.cardBlocks).not.toContain(AUDIT);
    expect(enforced.cardBlocks).toContain(audited.policy.metadata.name);
    // Same object, replaced in place by server-side apply: the annotation is gone.
    expect(enforced.policy.metadata.name).toBe(audited.policy.metadata.name);
    expect(enforced.policy.metadata.annotations?.[AUDIT]).toBeUndefined();
    expect(enforced.policy.metadata.annotations?.['netpol.io/command']).toBe('deny all in backend');
    expect(enforced.policy.metadata.annotations?.['netpol.io/requester']).toBe(ALICE);
    expect(enforced.policy.metadata.labels?.['netpol.io/request-id']).toBe(enforced.requestId);
  });

  /** A node agent's heartbeat, as src/agent/heartbeat.ts publishes it: an agent watched from now on. */
  async function agentBeats(): Promise<void> {
    const now = new Date().toISOString();
    await new HeartbeatStore(client, { prefix: plane.config.prefix }).publish({
      v: HEARTBEAT_VERSION,
      kind: 'agent',
      id: 'node-a',
      version: '0.1.0',
      cluster: 'prod',
      node: 'node-a',
      at: now,
      intervalMs: 10_000,
      inSync: true,
      since: now,
      queueDepth: 0,
    });
  }

  it('reports that nothing would have been blocked; Enforce by an approver needs another approver', async () => {
    const audited = await approveRequest(`deny all in frontend --audit ${WINDOW}`);
    // A node agent ran during the window and saw nothing that the policy would block.
    await agentBeats();
    const report = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      reportIn(audited.cardTs),
      REPORT_WAIT_MS,
    );
    expect(report.text).toBe(`Audit of request ${audited.requestId} ended: nothing would have been blocked`);

    // An approver who clicks Enforce is the new request's requester: another approver must approve it.
    const click = await plane.click({
      actionId: 'netpol_audit_enforce',
      value: buttonValue(report.blocks, 'netpol_audit_enforce'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: report.ts,
    });
    const draftId = buttonValue((await plane.replyOn(click.responseUrlId)).blocks, 'netpol_submit');
    const card = await submit(draftId, BOB);
    const decide = (user: string) =>
      plane.click({
        actionId: 'netpol_approve',
        value: buttonValue(card.blocks, 'netpol_approve'),
        user,
        channel: APPROVAL_CHANNEL,
        messageTs: card.ts,
      });
    expect((await plane.replyOn((await decide(BOB)).responseUrlId)).text).toMatch(/own request/);
    await decide(CAROL);
    const enforced = await plane.kube.waitFor(
      () => policiesIn('frontend').find((p) => p.metadata.annotations?.['netpol.io/request-id'] === draftId),
      10_000,
    );
    expect(enforced.metadata.annotations?.[AUDIT]).toBeUndefined();
    expect(enforced.metadata.annotations?.['netpol.io/approver']).toBe(CAROL);
  });

  it('reports once when the worker restarts between the apply and the due time, and an apply re-run schedules nothing more', async () => {
    const audited = await approveRequest(`deny egress from backend/app=nginx --audit ${WINDOW}`);
    await plane.stopWorker();
    // A re-run of the apply job (as a stalled one would be), by the restarted worker.
    const applyQueue = new Queue(applyQueueName('prod'), { connection: client, prefix: plane.config.prefix });
    const auditQueue = new Queue(auditReportQueueName('prod'), {
      connection: client,
      prefix: plane.config.prefix,
    });
    const events = new QueueEvents(applyQueueName('prod'), {
      connection: { host: '127.0.0.1', port: plane.redis.port },
      prefix: plane.config.prefix,
    });
    try {
      const rerun = await applyQueue.add(
        'apply',
        { requestId: audited.requestId, cluster: 'prod', policyHash: 'unused-for-an-applied-request' },
        { jobId: `rerun-${audited.requestId}` },
      );
      await plane.startWorker();
      const report = await plane.slack.waitForMessage(
        APPROVAL_CHANNEL,
        reportIn(audited.cardTs),
        REPORT_WAIT_MS,
      );
      // No node agent beat since the approval (none runs in this harness): nothing watched.
      expect(report.text).toBe(
        `Audit of request ${audited.requestId} ended: no node agent reported on cluster prod, nothing was watched`,
      );
      expect(JSON.stringify(report.blocks)).not.toContain('nothing would have been blocked');
      await rerun.waitUntilFinished(events, 10_000);
      const reports = await auditQueue.getJobs(['completed', 'delayed', 'waiting', 'active', 'failed']);
      expect(reports.filter((j) => j.data.requestId === audited.requestId).map((j) => j.id)).toEqual([
        auditReportJobId(audited.requestId),
      ]);
      expect(plane.slack.messages(APPROVAL_CHANNEL).filter(reportIn(audited.cardTs))).toHaveLength(1);
    } finally {
      await events.close();
      await applyQueue.close();
      await auditQueue.close();
    }
  });

  it("a second audit of the same policy reports only its own would-be drops, not the earlier audit's", async () => {
    const text = `deny ingress in backend --audit ${WINDOW}`;
    const first = await approveRequest(text);
    const key = `${first.policy.metadata.namespace}/${first.policy.metadata.name}`;
    const flows = new FlowStore(client, plane.config.prefix);
    await flows.record('prod', [wouldBlock(workload('frontend', 'nginx'), 8080, 7, [key])], new Date());
    const firstReport = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      reportIn(first.cardTs),
      REPORT_WAIT_MS,
    );
    expect(firstReport.text).toBe(
      `Audit of request ${first.requestId} ended: it would have blocked 7 connections in 1 flow`,
    );

    // The same request again: the same policy name, so the same flow in the store, still counting 7.
    const second = await approveRequest(text);
    expect(second.policy.metadata.name).toBe(first.policy.metadata.name);
    // Once its report is scheduled (what it already counted is set aside then), two more would-be drops.
    const auditQueue = new Queue(auditReportQueueName('prod'), {
      connection: client,
      prefix: plane.config.prefix,
    });
    try {
      await until(
        async () => (await auditQueue.getJob(auditReportJobId(second.requestId))) !== undefined,
        10_000,
      );
    } finally {
      await auditQueue.close();
    }
    await flows.record('prod', [wouldBlock(workload('frontend', 'nginx'), 8080, 2, [key])], new Date());
    const report = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      reportIn(second.cardTs),
      REPORT_WAIT_MS,
    );
    expect(report.text).toBe(
      `Audit of request ${second.requestId} ended: it would have blocked 2 connections in 1 flow`,
    );
    expect(JSON.stringify(report.blocks)).toContain(
      `frontend/nginx → backend/nginx tcp/8080: 2 connections (by ${key})`,
    );
  });
});

/** Resolves once `check` holds; rejects after `deadlineMs`. */
async function until(check: () => Promise<boolean>, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
