/**
 * Golden files for every renderer: representative inputs rendered to JSON and compared with
 * test/golden/slack/<name>.json. `UPDATE_GOLDEN=1 npx jest src/adapters/slack/render` (re)writes them;
 * review the diff before committing. Every output is also checked against Slack's limits and
 * netpol's escaping rules, and through the Slack stand-in's own validator.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkMessageContent } from '../../../devtools/slack/block-kit-limits';
import { NetpolError } from '../../../core/errors';
import { buildPolicyIndex, evaluateConnection } from '../../../core/evaluator';
import { answerQuery } from '../../../core/query/answer-query';
import { formatRequest } from '../../../core/request/format-request';
import { parseRequest } from '../../../core/request/parser';
import { isQueryRequest } from '../../../core/request/request';
import { resolveRequest } from '../../../core/request/resolve-request';
import { policy } from '../../../../test/support/cluster-builders';
import { helpText } from '../../../core/request/help';
import { ACTION_IDS, approveButtonValue } from './action-ids';
import type { SlackMessage } from './blocks';
import { buttonsOf, messageProblems } from './check-message';
import { renderApprovalMessage, renderApprovalThread } from './approval-message';
import { WIDE_REQUEST_TEXT, widePlan } from '../../../../test/support/wide-request';
import { renderError } from './error-reply';
import { renderExplain } from './explain';
import { renderFullYaml } from './full-yaml';
import { renderHelp, renderHistory, renderPending } from './lists';
import { renderOutcomeReply, renderSubmitted } from './outcome-reply';
import { renderHandlerFailure } from './failure-reply';
import { renderPreview } from './preview';
import { renderQueryAnswer } from './query-answer';
import { renderRefusal } from './refusal';
import { renderShowNamespace } from './show-namespace';
import { renderStatus } from './status';
import { agent, statusReport } from '../../../../test/support/status-fixtures';
import { renderAlert, renderAlertDigest, renderMuteList, renderMuteReply, type AlertInput } from './alert';
import { renderGraphReply } from './graph';
import {
  allowPolicy,
  APPROVER,
  AUDIT,
  cluster,
  DB_EGRESS,
  DEFAULT_DENY,
  EFFECT,
  NOW,
  record,
  REQUESTER,
  YAML,
} from '../../../../test/support/slack-render-fixtures';

const GOLDEN_DIR = path.resolve(__dirname, '../../../../test/golden/slack');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function expectGolden(name: string, value: unknown): void {
  const file = path.join(GOLDEN_DIR, `${name}.json`);
  const actual = `${JSON.stringify(value, null, 2)}\n`;
  if (UPDATE) {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  if (!fs.existsSync(file)) {
    throw new Error(
      `golden file test/golden/slack/${name}.json is missing: create it with ` +
        '`UPDATE_GOLDEN=1 npx jest src/adapters/slack/render`, review it, and commit it',
    );
  }
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

const longYaml = Array.from({ length: 40 }, () => YAML).join('---\n');

const wide = widePlan({ requestId: 'r-7k2m9q4x1b8c3d5f', requester: REQUESTER, cluster: 'prod-eu' });
const wideRecord = record('pending-approval', {
  text: WIDE_REQUEST_TEXT,
  command: wide.command,
  policies: wide.policies,
});

const verdicts = (() => {
  const state = cluster([DEFAULT_DENY, allowPolicy()]);
  const index = buildPolicyIndex(state);
  const find = (key: string) => state.pods.find((p) => `${p.namespace}/${p.name}` === key)!;
  const ask = (from: string, to: string, port: number) => ({
    verdict: evaluateConnection(
      index,
      { kind: 'pod', pod: find(from) },
      { kind: 'pod', pod: find(to) },
      port,
      'TCP',
    ),
    port,
    protocol: 'TCP' as const,
  });
  return [
    ask('frontend/nginx-6d4cf56db6-abcde', 'backend/api-5f7b9c-aaaaa', 8080),
    ask('backend/worker-0', 'backend/api-5f7b9c-aaaaa', 8080),
    ask('backend/api-5f7b9c-aaaaa', 'backend/api-5f7b9c-aaaaa', 8080),
  ];
})();

/** A question asked of the fixture cluster, as the bot answers it. */
function askCluster(question: string, user?: string): SlackMessage {
  const state = cluster([DEFAULT_DENY, allowPolicy()]);
  const { request } = resolveRequest(parseRequest(question), { state });
  if (!isQueryRequest(request)) throw new Error(`not a question: ${question}`);
  return renderQueryAnswer({
    cluster: 'prod-eu',
    ...(user === undefined ? {} : { user }),
    command: formatRequest(request),
    answer: answerQuery(request, state, buildPolicyIndex(state)),
  });
}

const manyPolicies = Array.from({ length: 400 }, (_, i) =>
  policy(`backend/allow-${String(i).padStart(3, '0')}-from-monitoring-on-metrics-port`, {
    podSelector: { matchLabels: { app: 'api', shard: `s${i}` } },
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { team: 'ops' } },
            podSelector: { matchLabels: { app: 'prometheus' } },
          },
        ],
        ports: [{ port: 9090 + (i % 10) }],
      },
    ],
  }),
);

/** A drop alert as the alert worker words it (issue 10). */
const ALERT: AlertInput = {
  cluster: 'prod-eu',
  source: 'frontend/nginx',
  destination: 'backend/nginx',
  port: 'tcp/80',
  direction: 'ingress',
  count: 1204,
  windowMs: 300_000,
  windowStart: '2026-11-22T10:00:00.000Z',
  windowEnd: '2026-11-22T10:05:00.000Z',
  nodes: ['node-a', 'node-b', 'node-c'],
  blockedBy: ['default-deny-ingress'],
  reason:
    'isolated for ingress by backend/default-deny-ingress; it has no ingress rule, so no ingress is allowed',
  dataplaneReason: 'NO_RULE_INGRESS',
  requestAllow: 'prod-eu/1764669600000-0123456789abcdef0123',
};

/** name -> render: every golden case. */
const CASES: Record<string, () => SlackMessage | SlackMessage[]> = {
  'preview-allow': () =>
    renderPreview({
      cluster: 'prod-eu',
      requester: REQUESTER,
      command: 'allow frontend/app=nginx to backend/*',
      text: 'allow frontend nginx to backend',
      policiesYaml: YAML,
      effect: EFFECT,
      warnings: [
        {
          code: 'W009_SELECTOR_MATCHES_NOTHING',
          message: 'frontend/app=nginx-old matches no pod today: check the labels',
        },
      ],
      draftId: 'd-4h5j6k7l8m9n0p1q',
      notes: ['frontend nginx -> app=nginx (Deployment frontend/nginx)'],
    }),
  'preview-long-yaml': () =>
    renderPreview({
      cluster: 'prod-eu',
      requester: REQUESTER,
      command: 'deny egress in backend except dns',
      text: 'deny egress in backend except dns',
      policiesYaml: longYaml,
      effect: 'isolates 3 pods in backend for egress; backend is isolated for egress today: no',
      warnings: [],
      draftId: 'd-4h5j6k7l8m9n0p1q',
    }),
  'preview-unchecked': () =>
    renderPreview({
      cluster: 'prod-eu',
      requester: REQUESTER,
      command: 'allow frontend/app=nginx to backnd/*',
      text: 'allow frontend nginx to backnd',
      policiesYaml: YAML,
      effect: 'cluster state unknown; allows frontend/app=nginx to reach every pod in backnd',
      warnings: [],
      unchecked: {},
    }),
  'failure-click': () =>
    renderHandlerFailure({
      doing: { button: 'Approve' },
      what: 'looking up the members of Slack user group S0614TZR7 failed',
      todo: 'Try again in a minute; if it keeps failing, tell the netpol operators',
      requestId: 'r-4h5j6k7l8m9n0p1q',
      cluster: 'prod-eu',
      user: APPROVER,
    }),
  'failure-command': () =>
    renderHandlerFailure({
      doing: { command: 'show backend `<x>`' },
      what: "netpol's Redis (where requests and previews are kept) did not answer",
      todo: 'Try again in a minute (check Redis and REDIS_URL)',
      cluster: 'staging',
      user: REQUESTER,
    }),
  'approval-pending': () => renderApprovalMessage(record('pending-approval'), { yaml: YAML, now: NOW }),
  'approval-pending-past-expiry': () =>
    renderApprovalMessage(record('pending-approval'), { yaml: YAML, now: '2026-11-23T10:00:00.000Z' }),
  'approval-approved': () => renderApprovalMessage(record('approved'), { yaml: YAML, now: NOW }),
  'approval-applying': () => renderApprovalMessage(record('applying'), { yaml: YAML, now: NOW }),
  // Issue 11: the prod-eu worker stopped 4 min before NOW, with the request approved.
  'approval-waiting-for-worker': () =>
    renderApprovalMessage(record('approved'), { yaml: YAML, now: NOW, liveness: SILENT_PROD }),
  'approval-pending-stale-snapshot': () =>
    renderApprovalMessage(record('pending-approval'), { yaml: YAML, now: NOW, liveness: SILENT_PROD }),
  'preview-stale-snapshot': () =>
    renderPreview({
      cluster: 'prod-eu',
      requester: REQUESTER,
      command: 'allow frontend/app=nginx to backend/*',
      text: 'allow frontend nginx to backend',
      policiesYaml: YAML,
      effect: EFFECT,
      warnings: [],
      draftId: 'd-4h5j6k7l8m9n0p1q',
      liveness: { of: SILENT_PROD, now: NOW },
    }),
  'approval-applied': () => renderApprovalMessage(record('applied'), { yaml: YAML, now: NOW }),
  'approval-rejected': () => renderApprovalMessage(record('rejected'), { yaml: YAML, now: NOW }),
  'approval-expired': () => renderApprovalMessage(record('expired'), { yaml: YAML, now: NOW }),
  'approval-failed': () => renderApprovalMessage(record('failed'), { yaml: YAML, now: NOW }),
  'approval-revoke': () =>
    renderApprovalMessage(
      record('pending-approval', {
        action: 'revoke',
        command: 'revoke backend/netpol-allow-frontend-nginx-to-all-1a2b3c4d',
        text: 'revoke backend/netpol-allow-frontend-nginx-to-all-1a2b3c4d',
        effect: 'removes backend/netpol-allow-frontend-nginx-to-all-1a2b3c4d (selects 3 pods in backend)',
        warnings: [],
      }),
      { yaml: YAML, now: NOW },
    ),
  'approval-long': () =>
    renderApprovalMessage(
      record('pending-approval', {
        text: `allow <!channel> & ${'x'.repeat(5000)}`,
        command: `allow frontend/app=nginx to backend/* ${'| ns(team=a)/* '.repeat(200)}`,
        effect: 'lets 1 pod reach 2 pods; '.repeat(300),
        warnings: Array.from({ length: 30 }, (_, i) =>
          `warning W001_NEW_ISOLATION: <pods> & more #${i} `.repeat(10),
        ),
        namespaces: Array.from({ length: 300 }, (_, i) => `namespace-number-${i}`),
      }),
      { yaml: longYaml, now: NOW, fullYamlPosted: true },
    ),
  'outcome-applied': () => renderOutcomeReply(record('applied')),
  'outcome-failed': () => renderOutcomeReply(record('failed')),
  'outcome-rejected': () => renderOutcomeReply(record('rejected')),
  'outcome-expired': () => renderOutcomeReply(record('expired')),
  'outcome-revoke-applied': () => renderOutcomeReply(record('applied', { action: 'revoke' })),
  submitted: () => renderSubmitted(record('pending-approval')),
  'refusal-not-approver': () =>
    renderRefusal(
      { kind: 'not-approver', namespaces: ['backend', 'payments'] },
      { cluster: 'prod-eu', user: APPROVER },
    ),
  'refusal-self-approval': () =>
    renderRefusal({ kind: 'self-approval' }, { cluster: 'prod-eu', user: REQUESTER }),
  'refusal-already-decided': () =>
    renderRefusal({ kind: 'already-decided', state: 'approved', by: APPROVER, at: '2026-11-22T10:01:00Z' }),
  'refusal-expired': () => renderRefusal({ kind: 'expired', at: '2026-11-23T09:58:00Z' }),
  'refusal-string': () => renderRefusal(`this request is already approved by <@${APPROVER}> <script> & co`),
  'error-syntax': () =>
    renderError(
      new NetpolError('E_SYNTAX', "expected 'to', found 'too'", { column: 22, hint: 'write: allow A to B' }),
      {
        cluster: 'prod-eu',
        text: 'allow frontend nginx too backend',
        user: REQUESTER,
      },
    ),
  'error-long-text': () =>
    renderError(
      new NetpolError('E_UNKNOWN_NAMESPACE', 'no namespace "bakend" in cluster prod-eu', {
        column: 160,
        hint: 'did you mean "backend"?',
      }),
      {
        cluster: 'prod-eu',
        text: `allow ${'frontend/app=nginx | '.repeat(7)}a to bakend/* on tcp/8080 <b> & c`,
      },
    ),
  'error-no-column': () =>
    renderError(
      new NetpolError('E_NOT_OWNED', 'backend/default-deny is not managed by netpol', {
        hint: 'netpol only removes policies it created',
      }),
      {
        cluster: 'prod-eu',
        text: 'revoke backend/default-deny',
      },
    ),
  'error-internal': () =>
    renderError(new Error('ECONNREFUSED redis://secret@10.0.0.1'), { cluster: 'prod-eu', text: 'pending' }),
  'show-backend': () =>
    renderShowNamespace({
      cluster: 'prod-eu',
      namespace: 'backend',
      state: cluster([DEFAULT_DENY, DB_EGRESS, allowPolicy({ approver: APPROVER })]),
      now: NOW,
      user: REQUESTER,
    }),
  'show-open-namespace': () =>
    renderShowNamespace({
      cluster: 'prod-eu',
      namespace: 'frontend',
      state: cluster(),
      now: NOW,
      user: REQUESTER,
    }),
  'show-unknown-namespace': () =>
    renderShowNamespace({ cluster: 'prod-eu', namespace: 'nope', state: cluster(), now: NOW }),
  'show-many-policies': () =>
    renderShowNamespace({ cluster: 'prod-eu', namespace: 'backend', state: cluster(manyPolicies), now: NOW }),
  explain: () => renderExplain({ cluster: 'prod-eu', user: REQUESTER, verdicts }),
  'explain-many': () =>
    renderExplain({ cluster: 'prod-eu', verdicts: Array.from({ length: 200 }, (_, i) => verdicts[i % 3]!) }),
  'query-can': () => askCluster('can frontend/app=nginx reach backend/app=api on tcp/8080', REQUESTER),
  'query-what-can-reach': () => askCluster('what can backend/* reach'),
  'query-long': () =>
    renderQueryAnswer({
      cluster: 'prod-eu',
      user: REQUESTER,
      command: 'who can reach backend/app=<api> & co',
      answer: Array.from(
        { length: 600 },
        (_, i) => `backend/api-${i} TCP/8080 is reachable from 0 of 5 pods <none> & \`\`\` no fence`,
      ).join('\n'),
    }),
  pending: () =>
    renderPending({
      cluster: 'prod-eu',
      user: APPROVER,
      now: NOW,
      records: [
        record('pending-approval'),
        record('failed', { id: 'r-failedfailedfail' }),
        record('applying', { id: 'r-applyingapplying' }),
      ],
    }),
  'pending-all-clusters': () =>
    renderPending({
      records: Array.from({ length: 120 }, (_, i) =>
        record('pending-approval', {
          id: `r-${String(i).padStart(16, '0')}`,
          cluster: i % 2 === 0 ? 'prod-eu' : 'staging',
        }),
      ),
      now: NOW,
    }),
  'pending-empty': () => renderPending({ cluster: 'prod-eu', records: [], now: NOW }),
  history: () => renderHistory({ cluster: 'prod-eu', namespace: 'backend', entries: AUDIT, user: REQUESTER }),
  'history-empty': () => renderHistory({ cluster: 'prod-eu', namespace: 'backend', entries: [] }),
  help: () => renderHelp(helpText()),
  'help-selectors': () => renderHelp(helpText('selectors'), { cluster: 'prod-eu', user: REQUESTER }),
  'full-yaml': () => renderFullYaml({ cluster: 'prod-eu', requestId: 'r-7k2m9q4x1b8c3d5f', yaml: longYaml }),
  'approval-wide-posting-yaml': () => renderApprovalMessage(wideRecord, { yaml: wide.yaml, now: NOW }),
  'approval-wide-yaml-posted': () =>
    renderApprovalMessage(wideRecord, { yaml: wide.yaml, now: NOW, fullYamlPosted: true }),
  'approval-wide-thread': () => renderApprovalThread(wideRecord, wide.yaml),
  alert: () => renderAlert(ALERT),
  'alert-outside': () =>
    renderAlert({
      ...ALERT,
      source: '192.0.2.9 (in 192.0.2.0/24 of backend/allow-partners)',
      count: 1,
      nodes: ['node-a'],
    }),
  'alert-digest': () =>
    renderAlertDigest({
      cluster: 'prod-eu',
      windowStart: ALERT.windowStart,
      windowEnd: ALERT.windowEnd,
      flows: [
        {
          headline: 'frontend/nginx -> backend/nginx tcp/80: 1,204 drops in the last 5 min, 3 nodes',
          count: 1204,
        },
        { headline: 'backend/api -> 203.0.113.7 tcp/443: 2 drops in the last 5 min, 1 node', count: 2 },
      ],
      muted: 1,
    }),
  'alert-mutes': () =>
    renderMuteList({
      cluster: 'prod-eu',
      user: REQUESTER,
      mutes: [
        { target: 'backend', until: '2026-11-22T11:00:00.000Z' },
        { target: 'frontend/nginx -> backend', until: '2026-11-23T10:00:00.000Z' },
      ],
    }),
  'alert-mute': () =>
    renderMuteReply({
      cluster: 'prod-eu',
      user: REQUESTER,
      target: 'frontend/nginx -> backend',
      until: '2026-11-23T10:00:00.000Z',
    }),
  // /netpol graph (issue 10): the reply (the comment shared with the PNG: test/e2e/graph.test.ts).
  'graph-reply': () =>
    renderGraphReply({
      cluster: 'prod-eu',
      user: REQUESTER,
      namespace: 'backend',
      counts: { workloads: 3, addresses: 1, allowed: 4, blocked: 1 },
    }),
  'graph-nothing': () =>
    renderGraphReply({
      cluster: 'prod-eu',
      user: REQUESTER,
      namespace: 'quiet',
      counts: { workloads: 0, addresses: 0, allowed: 0, blocked: 0 },
    }),
  status: () => renderStatus(statusReport(), { user: APPROVER }),
  'status-redis-down': () =>
    renderStatus(
      statusReport({
        redis: { ok: false, error: 'connect ECONNREFUSED 10.0.0.9:6379' },
        queues: [],
        clusters: [],
      }),
    ),
  'status-many-clusters': () => {
    // Too much for one message: a line per cluster, the one with a silent worker (staging) first.
    const [prod, staging] = statusReport().clusters;
    const agents = Array.from({ length: 300 }, (_, i) =>
      agent(`ip-10-0-${i}-1.ec2.internal`, { dropsPerMinute: i }),
    );
    const many = Array.from({ length: 45 }, (_, i) => ({ ...prod!, cluster: `cluster-${i}`, agents }));
    return renderStatus(statusReport({ clusters: [...many, staging!] }));
  },
};

/** The prod-eu worker, last seen (stopped) four minutes before NOW; its snapshot as of then. */
const SILENT_PROD = {
  cluster: 'prod-eu',
  workerAlive: false,
  lastWorker: {
    id: 'netpol-worker-7d9f:1',
    at: '2026-11-22T09:56:00.000Z',
    stoppedAt: '2026-11-22T09:56:00.000Z',
  },
  snapshotAsOf: '2026-11-22T09:55:58.000Z',
};

const asList = (out: SlackMessage | SlackMessage[]): SlackMessage[] => (Array.isArray(out) ? out : [out]);

describe('slack renderers: golden files', () => {
  for (const [name, render] of Object.entries(CASES)) {
    it(name, () => expectGolden(name, render()));
  }
});

describe('slack renderers: every output keeps the limits', () => {
  for (const [name, render] of Object.entries(CASES)) {
    it(name, () => {
      for (const message of asList(render())) {
        expect(messageProblems(message)).toEqual([]);
        expect(checkMessageContent(message)).toBeUndefined();
      }
    });
  }
});

describe('approval message buttons', () => {
  const states = [
    'pending-approval',
    'approved',
    'applying',
    'applied',
    'rejected',
    'expired',
    'failed',
  ] as const;

  it('only a pending request before its expiry has buttons, and they carry only the request id', () => {
    for (const state of states) {
      const r = record(state);
      const buttons = buttonsOf(renderApprovalMessage(r, { yaml: YAML, now: NOW }));
      if (state === 'pending-approval') {
        expect(buttons).toEqual([
          { actionId: ACTION_IDS.approve, value: approveButtonValue(r.id, r.policyHash) },
          { actionId: ACTION_IDS.reject, value: r.id },
        ]);
      } else {
        expect(buttons).toEqual([]);
      }
    }
    const late = renderApprovalMessage(record('pending-approval'), {
      yaml: YAML,
      now: '2026-11-23T09:58:00.000Z',
    });
    expect(buttonsOf(late)).toEqual([]);
    expect(JSON.stringify(late.blocks)).toContain('Expired at 2026-11-23 09:58 UTC (nothing was applied)');
  });

  it('says who decided and when', () => {
    const text = (state: (typeof states)[number]) =>
      JSON.stringify(renderApprovalMessage(record(state), { yaml: YAML, now: NOW }).blocks);
    expect(text('approved')).toContain(`Approved by <@${APPROVER}> at 2026-11-22 10:01 UTC`);
    expect(text('applied')).toContain('Applied at 2026-11-22 10:01 UTC');
    expect(text('rejected')).toContain(
      `Rejected by <@${APPROVER}> at 2026-11-22 10:01 UTC: please scope it to tcp/8080 &lt;api&gt; &amp; retry`,
    );
    expect(text('failed')).toContain('Failed after 3 attempts: NetworkPolicy.networking.k8s.io');
  });

  it('preview buttons carry the draft id', () => {
    expect(buttonsOf(asList(CASES['preview-allow']!())[0]!)).toEqual([
      { actionId: ACTION_IDS.submit, value: 'd-4h5j6k7l8m9n0p1q' },
      { actionId: ACTION_IDS.cancel, value: 'd-4h5j6k7l8m9n0p1q' },
    ]);
  });

  it('every reply names the cluster', () => {
    // Rendered without a cluster on purpose: help is the same everywhere; these refusals answer a
    // click on a message that names its cluster already.
    // Redis down: nothing is known of any cluster.
    const without = new Set([
      'help',
      'refusal-already-decided',
      'refusal-expired',
      'refusal-string',
      'status-redis-down',
    ]);
    for (const [name, render] of Object.entries(CASES)) {
      if (without.has(name)) continue;
      const json = JSON.stringify(asList(render()).map((m) => m.blocks));
      expect([name, json.includes('prod-eu') || json.includes('staging')]).toEqual([name, true]);
    }
  });
});
