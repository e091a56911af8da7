/**
 * The control plane end to end over real HTTP and a real Redis: signed slash commands and button
 * clicks into Bolt, the Slack Web API stand-in recording every post and edit, the Kubernetes API
 * stand-in holding the policies the worker writes.
 */
import { RequestStore } from '../../src/adapters/redis/request-store';
import Redis from 'ioredis';
import { postToBolt, slashCommandBody } from '../../src/devtools/slack/slack-signer';
import { TEST_SIGNING_SECRET } from '../../src/devtools/slack/slack-test-identity';
import {
  ALICE,
  APPROVAL_CHANNEL,
  BOB,
  buttonValue,
  CAROL,
  hasButtons,
  MALLORY,
  REQUEST_CHANNEL,
  startControlPlane,
  type ControlPlane,
} from '../../src/devtools/control-plane';
import { approvalMessageWhere, submit } from './transport-scenarios';

jest.setTimeout(60_000);

/** The entries of a `/netpol pending` reply as the user reads them, one per request ("• `id` · ..."). */
function pendingEntries(reply: { blocks?: unknown[] }): string[] {
  const text = (reply.blocks ?? [])
    .map((block) => (block as { text?: { text?: string } }).text?.text ?? '')
    .join('\n');
  return text.split(/\n(?=• )/).filter((entry) => entry.startsWith('• '));
}

async function policiesIn(plane: ControlPlane, namespace: string): Promise<Record<string, unknown>[]> {
  return plane.kube.store.list('networkpolicies', namespace) as Record<string, unknown>[];
}

describe('the control plane', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane();
    await plane.startWorker();
    await plane.waitForSnapshot();
  });
  afterAll(async () => plane.close());

  it('rejects: the message says who, and nothing is applied', async () => {
    const before = (await policiesIn(plane, 'backend')).length;
    const { approval, requestId } = await submit(plane, 'allow frontend nginx to backend on tcp/8080');
    await plane.click({
      actionId: 'netpol_reject',
      value: requestId,
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    const decided = await approvalMessageWhere(plane, approval.ts, (t) => t.includes('Rejected by'));
    expect(JSON.stringify(decided.blocks)).toContain(`<@${BOB}>`);
    expect(hasButtons(decided.blocks)).toBe(false);
    expect((await policiesIn(plane, 'backend')).length).toBe(before);
  });

  it('rejects with a reason typed as /netpol reject', async () => {
    const { approval, requestId } = await submit(plane, 'allow frontend nginx to backend on tcp/6001');
    const { reply } = await plane.slash(`reject ${requestId} because it should go through the gateway`, {
      user: BOB,
    });
    expect(JSON.stringify(reply.blocks)).toMatch(/rejected/i);
    const decided = await approvalMessageWhere(plane, approval.ts, (t) =>
      t.includes('it should go through the gateway'),
    );
    expect(JSON.stringify(decided.blocks)).toContain(`<@${BOB}>`);
    expect(hasButtons(decided.blocks)).toBe(false);
    expect((await plane.slash(`reject ${requestId} twice`, { user: BOB })).reply.text).toMatch(
      /already rejected/,
    );
    expect((await plane.slash('reject nonsense', { user: BOB })).reply.text).toMatch(/E_USAGE/);
  });

  it('refuses self-approval and unauthorised approvers, and leaves the request pending', async () => {
    const { approval, requestId } = await submit(plane, 'allow frontend nginx to backend on tcp/9090', BOB);
    const self = await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    expect((await plane.replyOn(self.responseUrlId)).text).toMatch(/own request/);
    const stranger = await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: MALLORY,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    expect((await plane.replyOn(stranger.responseUrlId)).text).toMatch(/not an approver for `?backend/);
    const client = new Redis(plane.redis.url, { maxRetriesPerRequest: null });
    const store = new RequestStore(client, { prefix: plane.config.prefix });
    expect((await store.get(requestId))?.state).toBe('pending-approval');
    const audit = await store.audit(requestId);
    // Both refusals are on the trail: the self-approval and the non-approver's click (issue 7, defect 7).
    expect(audit.map((e) => e.action)).toEqual(['submitted', 'refused', 'refused']);
    client.disconnect();
    // An approver through a user group may approve.
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: CAROL,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    await approvalMessageWhere(plane, approval.ts, (t) => t.includes('Approved by'));
  });

  it('applies once when two approvers click at the same time', async () => {
    const { approval, requestId } = await submit(plane, 'allow frontend nginx to backend on tcp/8443');
    const patchesBefore = plane.kube.requests.filter((r) => r.method === 'PATCH').length;
    const [a, b] = await Promise.all([
      plane.click({
        actionId: 'netpol_approve',
        value: buttonValue(approval.blocks, 'netpol_approve'),
        user: BOB,
        channel: APPROVAL_CHANNEL,
        messageTs: approval.ts,
      }),
      plane.click({
        actionId: 'netpol_approve',
        value: buttonValue(approval.blocks, 'netpol_approve'),
        user: CAROL,
        channel: APPROVAL_CHANNEL,
        messageTs: approval.ts,
      }),
    ]);
    expect([a.http.status, b.http.status]).toEqual([200, 200]);
    await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => m.thread_ts === approval.ts && /appl/i.test(m.text),
      10_000,
    );
    const client = new Redis(plane.redis.url, { maxRetriesPerRequest: null });
    const audit = await new RequestStore(client, { prefix: plane.config.prefix }).audit(requestId);
    client.disconnect();
    expect(audit.filter((e) => e.action === 'approved')).toHaveLength(1);
    expect(audit.filter((e) => e.action === 'applied')).toHaveLength(1);
    expect(plane.kube.requests.filter((r) => r.method === 'PATCH').length - patchesBefore).toBe(1);
  });

  it('revokes a managed policy through the same approval', async () => {
    const { approval, requestId } = await submit(plane, 'allow frontend nginx to backend on udp/53');
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    const applied = await plane.kube.waitFor(
      (store) =>
        (
          store.list('networkpolicies', 'backend') as {
            metadata: { name: string; annotations?: Record<string, string> };
          }[]
        ).find((p) => p.metadata.annotations?.['netpol.io/request-id'] === requestId),
      10_000,
    );
    const name = applied.metadata.name;
    // The bot learns of the new policy through the worker's cluster snapshot.
    await plane.waitForSnapshot((state) => state.policies.some((p) => p.metadata.name === name));
    const revoke = await plane.slash(`revoke backend/${name}`);
    const draftId = buttonValue(revoke.reply.blocks, 'netpol_submit');
    const submitted = await plane.click({
      actionId: 'netpol_submit',
      value: draftId,
      user: ALICE,
      channel: REQUEST_CHANNEL,
      ephemeral: true,
    });
    await plane.replyOn(submitted.responseUrlId);
    const revokeApproval = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => JSON.stringify(m.blocks ?? []).includes(draftId),
      10_000,
    );
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(revokeApproval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: revokeApproval.ts,
    });
    await plane.kube.waitFor(
      (store) => store.get('networkpolicies', 'backend', name) === undefined || undefined,
      10_000,
    );
  });

  it('refuses to revoke a policy netpol does not manage', async () => {
    await plane.waitForSnapshot();
    const { reply } = await plane.slash('revoke backend/default-deny-ingress');
    expect(reply.text).toMatch(/not managed by netpol/);
  });

  it('answers malformed requests and unknown namespaces clearly', async () => {
    expect((await plane.slash('alow frontend nginx to backend')).reply.text).toMatch(/E_SYNTAX/);
    const unknown = await plane.slash('allow frontend nginx to backnd');
    expect(`${unknown.reply.text} ${JSON.stringify(unknown.reply.blocks)}`).toMatch(
      /did you mean \\?"backend\\?"/,
    );
    expect((await plane.slash('@staging allow a to b')).reply.text).toMatch(/no cluster "staging"/);
  });

  it('shows, explains, lists pending requests and history, and helps', async () => {
    const show = await plane.slash('show backend');
    expect(JSON.stringify(show.reply.blocks)).toContain('default-deny-ingress');
    const explain = await plane.slash('explain frontend/nginx-frontend to backend/nginx-backend on 80');
    const why = JSON.stringify(explain.reply.blocks);
    expect(why).toMatch(
      /frontend\/nginx-frontend → backend\/nginx-backend\* on TCP\/80: :\w+: \*(allowed|denied)\*/,
    );
    expect(why).toContain('egress of frontend/nginx-frontend');
    expect(why).toContain('ingress of backend/nginx-backend');
    const { requestId } = await submit(plane, 'allow frontend nginx to backend on tcp/6002');
    const pending = await plane.slash('pending');
    expect(pending.http.status).toBe(200);
    expect(pending.reply.text).toMatch(/^\d+ open requests? on cluster /);
    // The line the user reads for the request just submitted: its id, its namespace, its state.
    const entry = pendingEntries(pending.reply).find((e) => e.startsWith(`• \`${requestId}\` `));
    expect(entry).toBeDefined();
    expect(entry).toContain(` · <@${ALICE}> in \`backend\`: \``);
    expect(entry).toContain('to backend/* on tcp/6002`');
    expect(entry).toMatch(/\n\s+waiting for approval\b.*, expires in /);
    const history = await plane.slash('history backend');
    expect(JSON.stringify(history.reply.blocks)).toMatch(/approved|submitted/);
    const help = JSON.stringify((await plane.slash('help')).reply.blocks);
    expect(help).toContain('/netpol reject &lt;request-id&gt; &lt;reason&gt;');
    expect(help).toMatch(/allow/);
  });

  it('refuses forged and stale signatures', async () => {
    const body = slashCommandBody({ text: 'help', response_url: plane.slack.responseUrl('forged') });
    expect(
      (await postToBolt(plane.eventsUrl, body, { signingSecret: TEST_SIGNING_SECRET, forgeSignature: true }))
        .status,
    ).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    expect(
      (await postToBolt(plane.eventsUrl, body, { signingSecret: TEST_SIGNING_SECRET, timestamp: stale }))
        .status,
    ).toBe(401);
  });

  it('reports 403 and 422 from Kubernetes in the thread, and retries a 409', async () => {
    plane.kube.failNext({ verb: 'patch', resource: 'networkpolicies', status: 403 });
    const forbidden = await submit(plane, 'allow frontend nginx to backend on tcp/7001');
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(forbidden.approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: forbidden.approval.ts,
    });
    await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) =>
        m.thread_ts === forbidden.approval.ts &&
        /forbidden/i.test(`${m.text}${JSON.stringify(m.blocks ?? [])}`),
      10_000,
    );

    plane.kube.failNext({
      verb: 'patch',
      resource: 'networkpolicies',
      status: 422,
      message: 'NetworkPolicy.networking.k8s.io "x" is invalid: spec: Invalid value',
    });
    const invalid = await submit(plane, 'allow frontend nginx to backend on tcp/7002');
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(invalid.approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: invalid.approval.ts,
    });
    await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) =>
        m.thread_ts === invalid.approval.ts && /invalid/i.test(`${m.text}${JSON.stringify(m.blocks ?? [])}`),
      10_000,
    );

    plane.kube.failNext({ verb: 'patch', resource: 'networkpolicies', status: 409 });
    const conflict = await submit(plane, 'allow frontend nginx to backend on tcp/7003');
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(conflict.approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: conflict.approval.ts,
    });
    await plane.kube.waitFor(
      (store) =>
        (
          store.list('networkpolicies', 'backend') as { metadata: { annotations?: Record<string, string> } }[]
        ).find((p) => p.metadata.annotations?.['netpol.io/request-id'] === conflict.requestId),
      15_000,
    );
  });

  it('honours a 429 from Slack: the approval message still arrives', async () => {
    plane.slack.rateLimitNext({ method: 'chat.postMessage', times: 1, retryAfterSeconds: 1 });
    const started = Date.now();
    const { approval } = await submit(plane, 'allow frontend nginx to backend on tcp/7004');
    expect(approval.ts).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('keeps a pending request through a Redis restart, and through a worker restart', async () => {
    const { approval, requestId } = await submit(plane, 'allow frontend nginx to backend on tcp/7005');
    await plane.stopWorker();
    await plane.redis.restart();
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    await approvalMessageWhere(plane, approval.ts, (t) => t.includes('Approved by'));
    await plane.startWorker();
    await plane.kube.waitFor(
      (store) =>
        (
          store.list('networkpolicies', 'backend') as { metadata: { annotations?: Record<string, string> } }[]
        ).find((p) => p.metadata.annotations?.['netpol.io/request-id'] === requestId),
      15_000,
    );
  });
});

describe('expiry', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane({ requestTtlMs: 1500 });
    await plane.startWorker();
    await plane.waitForSnapshot();
  });
  afterAll(async () => plane.close());

  it('expires a request: the message says so, a late approval is refused, nothing is applied', async () => {
    const before = (await policiesIn(plane, 'backend')).length;
    const { approval } = await submit(plane, 'allow frontend nginx to backend');
    const expired = await approvalMessageWhere(plane, approval.ts, (t) => /expired/i.test(t));
    expect(hasButtons(expired.blocks)).toBe(false);
    const late = await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    expect((await plane.replyOn(late.responseUrlId)).text).toMatch(/expired|already/);
    expect((await policiesIn(plane, 'backend')).length).toBe(before);
  });
});
