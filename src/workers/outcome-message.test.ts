import { outcomeMessage } from './outcome-message';
import { APPROVAL_CHANNEL, APPROVAL_TS, APPROVER, managedPolicy, REQUESTER, requestRecord } from './testing';

const approved = () =>
  requestRecord('prod', {
    id: 'r-aaaaaaaaaaaaaaaa',
    state: 'applied',
    decidedBy: APPROVER,
    approvalChannel: APPROVAL_CHANNEL,
    approvalTs: APPROVAL_TS,
    policies: [managedPolicy('shop', 'allow-web-to-db'), managedPolicy('pay', 'allow-web-to-db')],
  });

describe('outcomeMessage', () => {
  test('applied: a reply in the approval thread naming cluster, policies, approver and requester', () => {
    const job = outcomeMessage(approved(), { kind: 'applied' });
    expect(job).toMatchObject({ kind: 'post', channel: APPROVAL_CHANNEL, threadTs: APPROVAL_TS });
    expect(job.text).toBe(
      ':white_check_mark: Applied 2 NetworkPolicies on cluster `prod`, approved by <@U0APPROVER> ' +
        '(requested by <@U0REQUESTER>, request `r-aaaaaaaaaaaaaaaa`): `shop/allow-web-to-db`, `pay/allow-web-to-db`',
    );
    expect(job.kind === 'post' && job.blocks?.[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: job.text },
    });
  });

  test('revoke says removed', () => {
    const job = outcomeMessage({ ...approved(), action: 'revoke' }, { kind: 'applied' });
    expect(job.text).toMatch(/^:white_check_mark: Removed 2 NetworkPolicies from cluster `prod`/);
  });

  test('failed: the reason, escaped for mrkdwn', () => {
    const job = outcomeMessage(approved(), { kind: 'failed', reason: 'Forbidden: <user> & "x"' });
    expect(job.text).toContain(':x: Could not apply 2 NetworkPolicies on cluster `prod`');
    expect(job.text).toContain('Forbidden: &lt;user&gt; &amp; "x"');
    expect(job.text).toContain(`<@${REQUESTER}>`);
  });

  test('without an approval message it posts in the request channel, not in a thread', () => {
    const record = { ...approved(), approvalChannel: undefined, approvalTs: undefined };
    const job = outcomeMessage(record, { kind: 'refused', reason: 'hash mismatch' });
    expect(job).toMatchObject({ kind: 'post', channel: 'C0REQUESTS' });
    expect('threadTs' in job).toBe(false);
    expect(job.text).toContain('netpol refused to apply');
  });

  test('stays within a section limit however long the reason', () => {
    const job = outcomeMessage(approved(), { kind: 'failed', reason: 'x'.repeat(10_000) });
    expect(job.text.length).toBeLessThanOrEqual(3000);
  });
});
