/**
 * The approval card ends in its request's final state whatever order the outbound messages reach
 * Slack in (issue 7, defect 5), over the real bot and worker, a real Redis and the Slack Web API
 * stand-in. The outbound queue is held with BullMQ's own pause (every worker stops taking jobs), so
 * a decision and its apply can happen before the card is posted; a transient Slack failure makes an
 * older edit arrive after a newer one.
 */
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { RequestStore } from '../../src/adapters/redis/request-store';
import { SLACK_OUTBOUND_QUEUE, type SlackOutboundJob } from '../../src/contracts/queues';
import type { RequestRecord, RequestState } from '../../src/contracts/request-record';
import {
  ALICE,
  APPROVAL_CHANNEL,
  BOB,
  buttonValue,
  hasButtons,
  REQUEST_CHANNEL,
  startControlPlane,
  type ControlPlane,
} from '../../src/devtools/control-plane';
import type { SlackTransportKind } from '../../src/devtools/slack/slack-app-transport';

jest.setTimeout(60_000);

/** Polls `probe` (no sleeps: one event-loop turn apart) until it returns a value, or fails. */
async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const content = (m: { text?: string; blocks?: unknown }) =>
  `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;

describe.each<SlackTransportKind>(['http', 'socket'])('the approval card over %s', (transport) => {
  let plane: ControlPlane;
  let redis: Redis;
  let store: RequestStore;
  let outbound: Queue<SlackOutboundJob>;

  beforeAll(async () => {
    plane = await startControlPlane({ transport });
    await plane.startWorker();
    await plane.waitForSnapshot();
    redis = new Redis(plane.redis.url, { maxRetriesPerRequest: null });
    store = new RequestStore(redis, { prefix: plane.config.prefix });
    outbound = new Queue<SlackOutboundJob>(SLACK_OUTBOUND_QUEUE, {
      connection: redis,
      prefix: plane.config.prefix,
    });
  });
  afterAll(async () => {
    await outbound.resume();
    await outbound.close();
    redis.disconnect();
    await plane.close();
  });

  /** Types a request and submits its preview; the card's post job is enqueued when this returns. */
  async function submit(text: string): Promise<string> {
    const { reply } = await plane.slash(text, { user: ALICE });
    const draftId = buttonValue(reply.blocks, 'netpol_submit');
    const { responseUrlId } = await plane.click({
      actionId: 'netpol_submit',
      value: draftId,
      user: ALICE,
      channel: REQUEST_CHANNEL,
      ephemeral: true,
    });
    await plane.replyOn(responseUrlId);
    return draftId;
  }

  const recordIn = (requestId: string, state: RequestState) =>
    eventually<RequestRecord>(async () => {
      const record = await store.get(requestId);
      return record?.state === state ? record : undefined;
    }, `request ${requestId} ${state}`);

  /** The held outbound jobs, once `predicate` holds for them. */
  const heldJobsWhere = (predicate: (jobs: SlackOutboundJob[]) => boolean, what: string) =>
    eventually(async () => {
      const jobs = (await outbound.getJobs(['wait', 'paused', 'delayed'])).map((job) => job.data);
      return predicate(jobs) ? jobs : undefined;
    }, what);

  it('shows the final state when the decision and the apply happen before the card is posted', async () => {
    await outbound.pause();
    const requestId = await submit('allow frontend nginx to backend on tcp/5101');
    const [cardPost] = await heldJobsWhere(
      (jobs) => jobs.some((j) => j.kind === 'post' && j.recordApprovalFor === requestId),
      'the held approval card',
    );
    expect(cardPost).toBeDefined();
    const held = (await outbound.getJobs(['wait', 'paused'])).find(
      (job) => job.data.kind === 'post' && job.data.recordApprovalFor === requestId,
    );
    // Approved from the card's button before Slack has the card: the click knows no card ts.
    const { ack } = await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(held?.data.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
    });
    expect(ack.status).toBe(200);
    const applied = await recordIn(requestId, 'applied');
    expect(applied.approvalTs).toBeUndefined();
    // The worker has told Slack what it will (the outcome reply) before the card goes out.
    await heldJobsWhere(
      (jobs) =>
        jobs.some(
          (j) => j.kind === 'post' && j.recordApprovalFor === undefined && j.text.includes(requestId),
        ),
      'the outcome reply',
    );

    await outbound.resume();
    const { approvalTs } = await eventually(async () => {
      const record = await store.get(requestId);
      return record?.approvalTs === undefined ? undefined : record;
    }, 'the card ts recorded');
    const card = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => m.ts === approvalTs && /Applied at/.test(content(m)) && !hasButtons(m.blocks),
      10_000,
    );
    expect(content(card)).not.toMatch(/Waiting for approval/i);
  });

  it('ends in the final state when an older edit of the card is delivered after a newer one', async () => {
    const requestId = await submit('allow frontend nginx to backend on tcp/5102');
    const { approvalTs } = await eventually(async () => {
      const record = await store.get(requestId);
      return record?.approvalTs === undefined ? undefined : record;
    }, 'the card posted');
    const posted = plane.slack.message(APPROVAL_CHANNEL, approvalTs as string);
    expect(hasButtons(posted?.blocks)).toBe(true);

    await outbound.pause();
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(posted?.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approvalTs as string,
    });
    await recordIn(requestId, 'applied');
    // Held in order: the "approved" edit, the outcome reply, the "applied" edit.
    const edits = (jobs: SlackOutboundJob[]) =>
      jobs.filter((j) => j.kind === 'update' && j.ts === approvalTs);
    await heldJobsWhere((jobs) => edits(jobs).length >= 2, 'both edits of the card');

    // The first edit ("approved") meets a Slack outage and is retried after the newer one landed.
    const updatesBefore = plane.slack.callsTo('chat.update').length;
    plane.slack.failNext({ method: 'chat.update', error: 'internal_error', httpStatus: 500 });
    await outbound.resume();
    const cardEdits = () =>
      plane.slack
        .callsTo('chat.update')
        .slice(updatesBefore)
        .filter((c) => c.args.ts === approvalTs);
    await eventually(
      async () => (cardEdits().filter((c) => c.response.ok).length >= 2 ? true : undefined),
      'the retried edit delivered after the newer one',
    );
    expect(cardEdits()[0]?.response.ok).toBe(false);

    const card = plane.slack.message(APPROVAL_CHANNEL, approvalTs as string);
    expect(content(card ?? {})).toMatch(/Applied at/);
    expect(hasButtons(card?.blocks)).toBe(false);
  });
});
