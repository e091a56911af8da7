/**
 * Golden files of the audit report (issue 10), checked against Slack's limits by netpol's rules and
 * the stand-in's validator. `UPDATE_GOLDEN=1 npx jest src/adapters/slack/render` rewrites them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkMessageContent } from '../../../devtools/slack/block-kit-limits';
import { AUDIT_ENFORCE_ACTION_ID } from './action-ids';
import {
  AUDIT_REPORT_FLOWS_SHOWN,
  renderAuditReport,
  type AuditReportFlow,
  type AuditReportInput,
} from './audit-report';
import { buttonsOf, messageProblems } from './check-message';

const GOLDEN_DIR = path.join(__dirname, '../../../../test/golden/slack');

function expectGolden(name: string, value: unknown): void {
  const file = path.join(GOLDEN_DIR, `${name}.json`);
  const actual = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, actual);
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

const flow = (overrides: Partial<AuditReportFlow> = {}): AuditReportFlow => ({
  source: 'frontend/nginx',
  destination: 'backend/api',
  port: 'tcp/8080',
  count: 1204,
  blockedBy: ['backend/netpol-deny-all-backend-1a2b3c4d'],
  ...overrides,
});

const BASE: AuditReportInput = {
  cluster: 'prod',
  requestId: 'r-7k2m9q4x1b8c3d5f',
  requester: 'U0ALICE001',
  window: '1h',
  windowStart: '2026-12-02T09:00:00.000Z',
  windowEnd: '2026-12-02T10:00:00.000Z',
  policies: [{ key: 'backend/netpol-deny-all-backend-1a2b3c4d', state: 'audit' }],
  flows: [
    flow({ nodes: ['node-a', 'node-b'] }),
    flow({
      source: 'backend/api',
      destination: '203.0.113.7 (api.example.com)',
      port: 'tcp/443',
      count: 3,
      nodes: ['node-c'],
    }),
    // Written by an agent older than node names: no node part.
    flow({ source: 'monitoring/prometheus', destination: 'backend/api', port: 'tcp/9090', count: 1 }),
  ],
};

function checked(input: AuditReportInput) {
  const rendered = renderAuditReport(input);
  expect(messageProblems(rendered)).toEqual([]);
  expect(checkMessageContent(rendered as never)).toBeUndefined();
  return rendered;
}

describe('renderAuditReport', () => {
  it('lists what would have been blocked, says nothing is dropped until enforced, offers Enforce', () => {
    const rendered = checked(BASE);
    expectGolden('audit-report', rendered);
    expect(rendered.text).toBe(
      'Audit of request r-7k2m9q4x1b8c3d5f ended: it would have blocked 1,208 connections in 3 flows',
    );
    expect(buttonsOf(rendered)).toEqual([{ actionId: AUDIT_ENFORCE_ACTION_ID, value: 'r-7k2m9q4x1b8c3d5f' }]);
  });

  it('says on how many nodes each flow was seen, as drop alerts do: one by name, none when unknown', () => {
    const shown = JSON.stringify(checked(BASE).blocks);
    expect(shown).toContain(
      'frontend/nginx → backend/api tcp/8080: 1,204 connections, 2 nodes (by backend/netpol-deny-all-backend-1a2b3c4d)',
    );
    expect(shown).toContain('tcp/443: 3 connections, node node-c (by ');
    expect(shown).toContain('tcp/9090: 1 connection (by ');
    // Past the names the flow store keeps, its count of every node.
    const many = flow({ nodes: Array.from({ length: 16 }, (_, i) => `node-${i}`), nodeCount: 40 });
    expect(JSON.stringify(checked({ ...BASE, flows: [many, flow({ nodes: [] })] }).blocks)).toMatch(
      /1,204 connections, 40 nodes \(by .*tcp\/8080: 1,204 connections \(by /,
    );
  });

  it('says nothing would have been blocked, and still offers Enforce', () => {
    const rendered = checked({ ...BASE, flows: [] });
    expectGolden('audit-report-nothing', rendered);
    expect(JSON.stringify(rendered.blocks)).toContain('nothing would have been blocked');
    expect(buttonsOf(rendered)).toHaveLength(1);
  });

  it('with no node agent reporting during the window, says nothing watched instead of nothing blocked', () => {
    const rendered = checked({ ...BASE, flows: [], unwatched: true });
    expectGolden('audit-report-unwatched', rendered);
    expect(rendered.text).toBe(
      'Audit of request r-7k2m9q4x1b8c3d5f ended: no node agent reported on cluster prod, nothing was watched',
    );
    const shown = JSON.stringify(rendered.blocks);
    expect(shown).not.toContain('nothing would have been blocked');
    expect(shown).toContain('agent.enabled=true');
  });

  it('shows the first flows and counts the rest', () => {
    const flows = Array.from({ length: AUDIT_REPORT_FLOWS_SHOWN + 12 }, (_, i) =>
      flow({ port: `tcp/${8000 + i}`, count: 100 - i }),
    );
    const rendered = checked({ ...BASE, flows });
    expectGolden('audit-report-many', rendered);
    expect(JSON.stringify(rendered.blocks)).toContain('…and 12 more flows');
    expect(JSON.stringify(rendered.blocks)).not.toContain(`tcp/${8000 + AUDIT_REPORT_FLOWS_SHOWN}:`);
  });

  it('keeps every flow line of a long list within the section, the count of the rest included', () => {
    const long = 'x'.repeat(240);
    const flows = Array.from({ length: AUDIT_REPORT_FLOWS_SHOWN + 3 }, (_, i) =>
      flow({ source: `frontend/${long}${i}`, destination: `backend/${long}`, count: 100 - i }),
    );
    const rendered = checked({ ...BASE, flows });
    expect(JSON.stringify(rendered.blocks)).toContain('…and 3 more flows');
  });

  it('says so, without a button, when the policies were deleted or already enforced', () => {
    const rendered = checked({
      ...BASE,
      policies: [
        { key: 'backend/netpol-deny-all-backend-1a2b3c4d', state: 'enforced' },
        { key: 'backend/netpol-deny-egress-backend-5e6f7a8b', state: 'deleted' },
      ],
    });
    expectGolden('audit-report-gone', rendered);
    expect(JSON.stringify(rendered.blocks)).toContain(
      '`backend/netpol-deny-all-backend-1a2b3c4d` is already enforced and `backend/netpol-deny-egress-backend-5e6f7a8b` was deleted',
    );
    expect(buttonsOf(rendered)).toEqual([]);
  });

  it('names a policy enforced meanwhile beside those still in audit mode', () => {
    const rendered = checked({
      ...BASE,
      policies: [...BASE.policies, { key: 'backend/netpol-deny-egress-backend-5e6f7a8b', state: 'enforced' }],
    });
    expect(JSON.stringify(rendered.blocks)).toContain(
      'Meanwhile `backend/netpol-deny-egress-backend-5e6f7a8b` is already enforced.',
    );
  });
});
