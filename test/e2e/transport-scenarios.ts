/**
 * The key end-to-end scenarios as functions of a running control plane, so they run unchanged over
 * each way Slack reaches the bot (Bolt's HTTP receiver, Socket Mode): the plane's `slash` and `click`
 * hide the transport. Each scenario uses its own port in the request text so scenarios sharing one
 * plane never collide.
 */
import Redis from 'ioredis';
import { RequestStore } from '../../src/adapters/redis/request-store';
import {
  ALICE,
  APPROVAL_CHANNEL,
  BOB,
  buttonValue,
  hasButtons,
  MALLORY,
  REQUEST_CHANNEL,
  type ControlPlane,
} from '../../src/devtools/control-plane';

const NAME_LABEL = 'kubernetes.io/metadata.name';

/** The spec `allow frontend nginx to backend on <port>` builds. */
function expectedSpec(port?: number) {
  return {
    podSelector: {},
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { [NAME_LABEL]: 'frontend' } },
            podSelector: { matchLabels: { app: 'nginx' } },
          },
        ],
        ...(port === undefined ? {} : { ports: [{ protocol: 'TCP', port }] }),
      },
    ],
  };
}

/** Types a request, submits its preview, and returns the request id and its approval message. */
export async function submit(plane: ControlPlane, text: string, user = ALICE) {
  const { ack, reply } = await plane.slash(text, { user });
  expect(ack.status).toBe(200);
  const draftId = buttonValue(reply.blocks, 'netpol_submit');
  const submitted = await plane.click({
    actionId: 'netpol_submit',
    value: draftId,
    user,
    channel: REQUEST_CHANNEL,
    ephemeral: true,
  });
  expect(submitted.ack.status).toBe(200);
  const submittedReply = await plane.replyOn(submitted.responseUrlId);
  const approval = await plane.slack.waitForMessage(
    APPROVAL_CHANNEL,
    (m) => JSON.stringify(m.blocks ?? []).includes(draftId),
    10_000,
  );
  return { requestId: draftId, preview: reply, submitted: submittedReply, approval };
}

export function approvalMessageWhere(plane: ControlPlane, ts: string, predicate: (text: string) => boolean) {
  return plane.slack.waitForMessage(
    APPROVAL_CHANNEL,
    (m) => m.ts === ts && predicate(`${m.text} ${JSON.stringify(m.blocks ?? [])}`),
    10_000,
  );
}

/**
 * Request -> preview -> Submit -> Approve -> applied: the card names the requester, loses its buttons
 * when approved, gets the outcome in its thread and ends "Applied".
 */
export async function referenceScenario(plane: ControlPlane, port: number): Promise<void> {
  const { preview, submitted, approval, requestId } = await submit(
    plane,
    `allow frontend nginx to backend on tcp/${port}`,
  );
  const previewText = JSON.stringify(preview.blocks);
  expect(preview.response_type).toBe('ephemeral');
  expect(previewText).toContain(`allow frontend/app=nginx to backend/* on tcp/${port}`);
  expect(previewText).toContain('kind: NetworkPolicy');
  expect(submitted.text).toContain(requestId);
  expect(hasButtons(approval.blocks)).toBe(true);
  expect(`${approval.text}${JSON.stringify(approval.blocks)}`).toContain(`<@${ALICE}>`);

  const click = await plane.click({
    actionId: 'netpol_approve',
    value: buttonValue(approval.blocks, 'netpol_approve'),
    user: BOB,
    channel: APPROVAL_CHANNEL,
    messageTs: approval.ts,
  });
  expect(click.ack.status).toBe(200);
  const applied = await plane.kube.waitFor(
    (store) =>
      (
        store.list('networkpolicies', 'backend') as {
          metadata: { annotations?: Record<string, string> };
          spec: unknown;
        }[]
      ).find((p) => p.metadata.annotations?.['netpol.io/request-id'] === requestId),
    10_000,
  );
  expect(applied.spec).toEqual(expectedSpec(port));
  expect(applied.metadata.annotations?.['netpol.io/approver']).toBe(BOB);
  expect(applied.metadata.annotations?.['netpol.io/requester']).toBe(ALICE);

  const decided = await approvalMessageWhere(plane, approval.ts, (t) => t.includes('Approved by'));
  expect(hasButtons(decided.blocks)).toBe(false);
  await plane.slack.waitForMessage(
    APPROVAL_CHANNEL,
    (m) => m.thread_ts === approval.ts && /appl/i.test(m.text),
    10_000,
  );
  const final = await approvalMessageWhere(plane, approval.ts, (t) => /Applied at/.test(t));
  expect(hasButtons(final.blocks)).toBe(false);
}

/** A requester cannot approve their own request, nor can a non-approver; the request stays pending. */
export async function refusalScenario(plane: ControlPlane, port: number): Promise<void> {
  const { approval, requestId } = await submit(plane, `allow frontend nginx to backend on tcp/${port}`, BOB);
  const self = await plane.click({
    actionId: 'netpol_approve',
    value: buttonValue(approval.blocks, 'netpol_approve'),
    user: BOB,
    channel: APPROVAL_CHANNEL,
    messageTs: approval.ts,
  });
  expect(self.ack.status).toBe(200);
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
  try {
    const store = new RequestStore(client, { prefix: plane.config.prefix });
    expect((await store.get(requestId))?.state).toBe('pending-approval');
  } finally {
    client.disconnect();
  }
  const card = plane.slack.message(APPROVAL_CHANNEL, approval.ts);
  expect(hasButtons(card?.blocks)).toBe(true);
}

/** The read-only commands answer on the response_url. */
export async function readCommandsScenario(plane: ControlPlane): Promise<void> {
  const show = await plane.slash('show backend');
  expect(show.ack.status).toBe(200);
  expect(JSON.stringify(show.reply.blocks)).toContain('default-deny-ingress');
  const help = await plane.slash('help');
  expect(JSON.stringify(help.reply.blocks)).toContain('/netpol reject &lt;request-id&gt; &lt;reason&gt;');
  expect((await plane.slash('alow frontend nginx to backend')).reply.text).toMatch(/E_SYNTAX/);
}
