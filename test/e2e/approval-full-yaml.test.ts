/**
 * Issue 7, defect 1, end to end: a request whose YAML cannot fit on its approval card (190
 * alternatives, 1,164 lines, an annotation longer than a Slack section). The real bot posts the card
 * without buttons, the full YAML in the card's thread, and only then edits the card to add Approve
 * and Reject; the Slack stand-in records every call, so the order is checked on the wire.
 */
import Redis from 'ioredis';
import { RequestStore } from '../../src/adapters/redis/request-store';
import { renderPolicies } from '../../src/core/policy/render-policies';
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
import { threadYaml, WIDE_REQUEST_TEXT } from '../support/wide-request';

jest.setTimeout(90_000);

describe('an approval card too small for its YAML', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane();
    await plane.startWorker();
    await plane.waitForSnapshot();
  });
  afterAll(async () => plane.close());

  it('gets its buttons only after every line of the YAML is in its thread', async () => {
    const { reply } = await plane.slash(WIDE_REQUEST_TEXT, { user: ALICE });
    const draftId = buttonValue(reply.blocks, 'netpol_submit');
    await plane.click({
      actionId: 'netpol_submit',
      value: draftId,
      user: ALICE,
      channel: REQUEST_CHANNEL,
      ephemeral: true,
    });
    const card = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => m.thread_ts === undefined && JSON.stringify(m.blocks ?? []).includes(draftId),
      10_000,
    );
    // Posted without buttons, saying where the rest is.
    const first = card.revisions[0]!;
    expect(hasButtons(first.blocks)).toBe(false);
    expect(JSON.stringify(first.blocks)).toContain('full YAML (1164 lines) in the thread');
    expect(JSON.stringify(first.blocks)).toContain('podSelector: {}');

    const withButtons = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => m.ts === card.ts && hasButtons(m.blocks),
      60_000,
    );
    const client = new Redis(plane.redis.url);
    const record = await new RequestStore(client, { prefix: plane.config.prefix }).get(draftId);
    client.disconnect();
    const yaml = renderPolicies(record!.policies, 'yaml');

    // The thread holds the YAML exactly, every line and the long annotation whole.
    const thread = plane.slack.threadReplies(APPROVAL_CHANNEL, card.ts);
    expect(threadYaml(thread)).toBe(yaml);

    // And all of it was posted before the edit that added the buttons.
    const calls = plane.slack.calls;
    const threadPosts = calls.filter(
      (c) => c.method === 'chat.postMessage' && c.args.thread_ts === card.ts && c.response.ok,
    );
    const buttonsEdit = calls.find(
      (c) => c.method === 'chat.update' && c.args.ts === card.ts && hasButtons(c.args.blocks),
    );
    expect(threadPosts).toHaveLength(thread.length);
    expect(buttonsEdit).toBeDefined();
    expect(Math.max(...threadPosts.map((c) => c.seq))).toBeLessThan(buttonsEdit!.seq);
    expect(JSON.stringify(withButtons.blocks)).toContain('full YAML (1164 lines) in the thread');
    expect(JSON.stringify(withButtons.blocks)).not.toContain('Approve and Reject appear');

    // The buttons work: Bob approves, the policy is applied.
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(withButtons.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: card.ts,
    });
    await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => m.ts === card.ts && JSON.stringify(m.blocks ?? []).includes(':rocket: Applied'),
      30_000,
    );
  });
});
