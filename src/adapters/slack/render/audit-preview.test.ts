/**
 * The preview and the approval card of an `--audit` request (issue 10): they say it is audit mode,
 * that nothing is dropped, when the report comes, that enforcing is a new approval, and what the
 * policies would block. Pinned by test/golden/slack/preview-audit.json and approval-audit.json
 * (`UPDATE_GOLDEN=1 npx jest src/adapters/slack/render/audit-preview` rewrites them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { policyHash } from '../../../contracts/policy-hash';
import { describeEffect } from '../../../core/policy/describe-effect';
import { formatWarning } from '../../../core/policy/warnings';
import { renderPolicies } from '../../../core/policy/render-policies';
import { planRequest } from '../../../core/use-cases/plan-request';
import { cluster, NOW, record, REQUESTER } from '../../../../test/support/slack-render-fixtures';
import { renderApprovalMessage } from './approval-message';
import { messageProblems } from './check-message';
import type { SlackMessage } from './blocks';
import { renderPreview } from './preview';

const GOLDEN_DIR = path.resolve(__dirname, '../../../../test/golden/slack');

function expectGolden(name: string, value: SlackMessage): void {
  expect(messageProblems(value)).toEqual([]);
  const file = path.join(GOLDEN_DIR, `${name}.json`);
  const actual = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, actual);
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

const state = cluster([]);
const plan = planRequest('deny ingress in backend --audit 1h', state);
if (plan.kind !== 'policies') throw new Error('not a change');
const effect = describeEffect(plan.policies, state);
const yaml = renderPolicies(plan.policies, 'yaml');
const SAYS =
  'Audit mode for 1h: nothing will be dropped; what this policy would block is reported in the thread after 1h; ' +
  'enforcing it is a new approval. If enforced: ';

describe('an --audit request in Slack', () => {
  it('the preview leads its effect with audit mode, then what would stop (golden file)', () => {
    const preview = renderPreview({
      cluster: 'prod-eu',
      requester: REQUESTER,
      command: plan.command,
      text: 'deny ingress in backend --audit 1h',
      policiesYaml: yaml,
      effect,
      warnings: plan.warnings,
      draftId: 'd-4h5j6k7l8m9n0p1q',
    });
    const text = JSON.stringify(preview.blocks);
    expect(text).toContain(`*Effect*\\n${SAYS}isolates 3 pods in backend for ingress`);
    expect(text).toContain('connections that work today would stop');
    expect(text).toContain('netpol.io/audit: 1h');
    expect(text).toContain('deny ingress in backend --audit 1h');
    expectGolden('preview-audit', preview);
  });

  it('the approval card says audit mode next to what is applied (golden file)', () => {
    const card = renderApprovalMessage(
      record('pending-approval', {
        text: 'deny ingress in backend --audit 1h',
        command: plan.command,
        policies: plan.policies,
        policyHash: policyHash(plan.policies),
        effect,
        warnings: plan.warnings.map(formatWarning),
      }),
      { yaml, now: NOW },
    );
    const text = JSON.stringify(card.blocks);
    expect(text).toContain(
      'asks to apply 1 NetworkPolicy *in audit mode for 1h* (nothing dropped until enforced)',
    );
    expect(text).toContain(SAYS);
    expectGolden('approval-audit', card);
  });
});
