/**
 * The approval card of a request too large for it (issue 7, defect 1): the card shows the spec and
 * says the full YAML is in the thread; the thread holds every line, long lines included; the card has
 * no buttons until the thread is posted. And user text shown verbatim (defect 11).
 */
import type { SlackMessage } from './blocks';
import { buttonsOf, messageProblems } from './check-message';
import { renderApprovalMessage, renderApprovalThread } from './approval-message';
import { renderOutcomeReply } from './outcome-reply';
import { NOW, record, YAML } from '../../../../test/support/slack-render-fixtures';
import { threadYaml, WIDE_REQUEST_TEXT, widePlan } from '../../../../test/support/wide-request';

const wide = widePlan({ requestId: 'r-7k2m9q4x1b8c3d5f', requester: 'U0REQUEST1', cluster: 'prod-eu' });
const wideRecord = record('pending-approval', {
  text: WIDE_REQUEST_TEXT,
  command: wide.command,
  policies: wide.policies,
});

function sectionTexts(message: SlackMessage): string[] {
  return message.blocks.flatMap((b) => (b.type === 'section' && b.text !== undefined ? [b.text.text] : []));
}

describe('the approval card of a request too large for it', () => {
  it('is what the issue describes: 1,164 lines, an annotation longer than a section', () => {
    const lines = wide.yaml.replace(/\n$/, '').split('\n');
    expect(lines).toHaveLength(1164);
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(3000);
  });

  it("shows the spec's first lines, summarises the annotations, and says the rest is in the thread", () => {
    const card = renderApprovalMessage(wideRecord, { yaml: wide.yaml, now: NOW });
    const json = JSON.stringify(card.blocks);
    const yamlSection = sectionTexts(card).find((t) => t.startsWith('*Policies (YAML)*'))!;
    expect(yamlSection).toContain('\nspec:\n  podSelector: {}\n  policyTypes:\n    - Ingress\n  ingress:\n');
    expect(yamlSection).toContain('app: a0\n');
    expect(yamlSection).toContain('annotations: # 4 annotations (provenance), in full in the thread');
    expect(yamlSection).not.toContain('netpol.io/command');
    expect(json).toContain('full YAML (1164 lines) in the thread');
    expect(messageProblems(card)).toEqual([]);
  });

  it('has no buttons until the full YAML is posted, and says it is being posted', () => {
    const posting = renderApprovalMessage(wideRecord, { yaml: wide.yaml, now: NOW });
    expect(buttonsOf(posting)).toEqual([]);
    expect(JSON.stringify(posting.blocks)).toContain('Approve and Reject appear once every line is there');
    const posted = renderApprovalMessage(wideRecord, { yaml: wide.yaml, now: NOW, fullYamlPosted: true });
    expect(buttonsOf(posted).map((b) => b.actionId)).toEqual(['netpol_approve', 'netpol_reject']);
    expect(JSON.stringify(posted.blocks)).not.toContain('Approve and Reject appear');
    expect(JSON.stringify(posted.blocks)).toContain('full YAML (1164 lines) in the thread');
  });

  it('puts every line of the YAML in the thread, the long annotation whole', () => {
    const thread = renderApprovalThread(wideRecord, wide.yaml);
    expect(thread.length).toBeGreaterThan(1);
    for (const m of thread) expect(messageProblems(m)).toEqual([]);
    expect(threadYaml(thread)).toBe(wide.yaml);
  });

  it('keeps a short request as it was: the whole YAML on the card, buttons, no thread', () => {
    const r = record('pending-approval');
    expect(renderApprovalThread(r, YAML)).toEqual([]);
    const card = renderApprovalMessage(r, { yaml: YAML, now: NOW });
    expect(buttonsOf(card)).toHaveLength(2);
    expect(JSON.stringify(card.blocks)).not.toContain('in the thread');
  });
});

describe('user text is shown verbatim', () => {
  const typed = 'allow *bold* _it_ ~s~ ```x``` to backend';
  const reason = 'no: *bold* _it_ ~s~ ```drop table```';

  it('"As typed" goes in inline code, backticks neutralised', () => {
    const card = renderApprovalMessage(record('pending-approval', { text: typed }), { yaml: YAML, now: NOW });
    const command = sectionTexts(card).find((t) => t.startsWith('*Command*'))!;
    expect(command).toContain('_As typed:_ `allow *bold* _it_ ~s~ ˋˋˋxˋˋˋ to backend`');
  });

  it('a reject reason goes in inline code, on the card and in the thread reply', () => {
    const rejected = record('rejected', { reason });
    const expected = '`no: *bold* _it_ ~s~ ˋˋˋdrop tableˋˋˋ`';
    expect(JSON.stringify(renderApprovalMessage(rejected, { yaml: YAML, now: NOW }).blocks)).toContain(
      expected,
    );
    expect(JSON.stringify(renderOutcomeReply(rejected).blocks)).toContain(expected);
  });

  it('text without formatting characters reads as before', () => {
    const rejected = record('rejected', { reason: 'scope it to tcp/8080 <api> & retry' });
    expect(JSON.stringify(renderApprovalMessage(rejected, { yaml: YAML, now: NOW }).blocks)).toContain(
      ': scope it to tcp/8080 &lt;api&gt; &amp; retry',
    );
  });
});
