/**
 * /metrics of the bot and of a worker as Prometheus scrapes them, over the whole control plane on
 * loopback (real Redis, the Slack and Kubernetes API stand-ins): every series the README names is
 * served, and they move when work happens: a request approved and applied (requests by state, Slack
 * calls, approval -> applied), Slack answering 429 (rate limits), the API server refusing an apply
 * (Kubernetes API errors by code), and the snapshot the bot answers from (its age per cluster).
 */
import {
  APPROVAL_CHANNEL,
  BOB,
  buttonValue,
  startControlPlane,
  type ControlPlane,
} from '../../src/devtools/control-plane';
import { scrape, type Scrape } from '../support/metrics-scrape';
import { approvalMessageWhere, submit } from './transport-scenarios';

jest.setTimeout(60_000);

let plane: ControlPlane;
beforeAll(async () => {
  plane = await startControlPlane();
  await plane.startWorker();
  await plane.waitForSnapshot();
});
afterAll(async () => plane?.close());

const bot = () => scrape(plane.metricsUrl('bot'));
const worker = () => scrape(plane.metricsUrl('worker'));

/** Scrapes until `holds` is true of the scrape; fails after 10 s naming `what` and the last scrape. */
async function until(
  what: string,
  read: () => Promise<Scrape>,
  holds: (s: Scrape) => boolean,
): Promise<Scrape> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const current = await read();
    if (holds(current)) return current;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last scrape:\n${[...current.samples].join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function approve(text: string): Promise<{ requestId: string; ts: string }> {
  const { approval, requestId } = await submit(plane, text);
  await plane.click({
    actionId: 'netpol_approve',
    value: buttonValue(approval.blocks, 'netpol_approve'),
    user: BOB,
    channel: APPROVAL_CHANNEL,
    messageTs: approval.ts,
  });
  return { requestId, ts: approval.ts };
}

const zeroIfAbsent = (value: number | undefined) => value ?? 0;

test('the bot and the worker serve every named series, typed', async () => {
  const fromBot = await bot();
  expect(
    Object.fromEntries(
      [
        'netpol_requests',
        'netpol_queue_jobs',
        'netpol_slack_calls_total',
        'netpol_slack_rate_limited_total',
        'netpol_cluster_snapshot_age_seconds',
      ].map((name) => [name, fromBot.types.get(name)]),
    ),
  ).toEqual({
    netpol_requests: 'gauge',
    netpol_queue_jobs: 'gauge',
    netpol_slack_calls_total: 'counter',
    netpol_slack_rate_limited_total: 'counter',
    netpol_cluster_snapshot_age_seconds: 'gauge',
  });
  const fromWorker = await worker();
  expect(
    Object.fromEntries(
      [
        'netpol_request_approval_to_applied_seconds',
        'netpol_request_transitions_total',
        'netpol_kube_api_errors_total',
        'netpol_queue_jobs',
      ].map((name) => [name, fromWorker.types.get(name)]),
    ),
  ).toEqual({
    netpol_request_approval_to_applied_seconds: 'histogram',
    netpol_request_transitions_total: 'counter',
    netpol_kube_api_errors_total: 'counter',
    netpol_queue_jobs: 'gauge',
  });
  // Every state is reported, zero or not; every queue the bot produces to has its depth.
  for (const state of [
    'pending-approval',
    'approved',
    'applying',
    'applied',
    'rejected',
    'expired',
    'failed',
  ])
    expect(fromBot.value('netpol_requests', { state })).toBeGreaterThanOrEqual(0);
  for (const queue of ['apply-prod', 'request-expiry', 'slack-outbound'])
    expect(fromBot.value('netpol_queue_jobs', { queue, state: 'waiting' })).toBeGreaterThanOrEqual(0);
  expect(
    fromWorker.value('netpol_queue_jobs', { queue: 'apply-prod', state: 'active' }),
  ).toBeGreaterThanOrEqual(0);
  // The worker wrote prod's snapshot moments ago.
  const age = fromBot.value('netpol_cluster_snapshot_age_seconds', { cluster: 'prod' });
  expect(age).toBeGreaterThanOrEqual(0);
  expect(age).toBeLessThan(60);
});

test('a request approved and applied moves requests by state, Slack calls and approval -> applied', async () => {
  const [botBefore, workerBefore] = [await bot(), await worker()];
  const applied = (s: Scrape) => zeroIfAbsent(s.value('netpol_requests', { state: 'applied' }));
  const observed = (s: Scrape) =>
    zeroIfAbsent(s.value('netpol_request_approval_to_applied_seconds_count', { cluster: 'prod' }));
  const posts = (s: Scrape) =>
    zeroIfAbsent(s.value('netpol_slack_calls_total', { method: 'chat.postMessage', outcome: 'ok' }));

  const { ts } = await approve('allow frontend nginx to backend on tcp/7301');
  await approvalMessageWhere(plane, ts, (text) => /Applied/.test(text));

  const botAfter = await until(
    'the applied request counted',
    bot,
    (s) => applied(s) === applied(botBefore) + 1,
  );
  expect(posts(botAfter)).toBeGreaterThan(posts(botBefore)); // the card and the thread's outcome
  const workerAfter = await worker();
  expect(observed(workerAfter)).toBe(observed(workerBefore) + 1);
  expect(
    workerAfter.value('netpol_request_approval_to_applied_seconds_bucket', { cluster: 'prod', le: '+Inf' }),
  ).toBe(observed(workerAfter));
  // Applied on a live worker within a minute of the click.
  expect(
    workerAfter.value('netpol_request_approval_to_applied_seconds_sum', { cluster: 'prod' }),
  ).toBeLessThan(60 * observed(workerAfter));
  expect(
    zeroIfAbsent(workerAfter.value('netpol_request_transitions_total', { cluster: 'prod', to: 'applied' })),
  ).toBe(
    zeroIfAbsent(workerBefore.value('netpol_request_transitions_total', { cluster: 'prod', to: 'applied' })) +
      1,
  );
});

test('Slack answering 429 is counted as a rate limit, and the message still goes out', async () => {
  const limited = (s: Scrape) => zeroIfAbsent(s.value('netpol_slack_rate_limited_total'));
  const before = await bot();
  plane.slack.rateLimitNext({ method: 'chat.postMessage', retryAfterSeconds: 1 });
  await submit(plane, 'allow frontend nginx to backend on tcp/7302');
  const after = await bot();
  expect(limited(after)).toBe(limited(before) + 1);
  expect(
    after.value('netpol_slack_calls_total', { method: 'chat.postMessage', outcome: 'rate_limited' }),
  ).toBe(
    zeroIfAbsent(
      before.value('netpol_slack_calls_total', { method: 'chat.postMessage', outcome: 'rate_limited' }),
    ) + 1,
  );
});

test('an apply the API server forbids is counted by code and status, and the request by state failed', async () => {
  const forbidden = { cluster: 'prod', operation: 'apply', code: 'E_KUBE_FORBIDDEN', status: '403' };
  const failed = (s: Scrape) => zeroIfAbsent(s.value('netpol_requests', { state: 'failed' }));
  const [botBefore, workerBefore] = [await bot(), await worker()];
  plane.kube.failNext({ verb: 'patch', resource: 'networkpolicies', status: 403 });
  await approve('allow frontend nginx to backend on tcp/7303');
  await until('the failed request counted', bot, (s) => failed(s) === failed(botBefore) + 1);
  const workerAfter = await worker();
  expect(workerAfter.value('netpol_kube_api_errors_total', forbidden)).toBe(
    zeroIfAbsent(workerBefore.value('netpol_kube_api_errors_total', forbidden)) + 1,
  );
  expect(
    workerAfter.value('netpol_request_transitions_total', { cluster: 'prod', to: 'failed' }),
  ).toBeGreaterThanOrEqual(1);
});

test('/healthz and /readyz answer beside /metrics; nothing else is served', async () => {
  const base = plane.metricsUrl('worker').replace(/\/metrics$/, '');
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  expect((await fetch(`${base}/readyz`)).status).toBe(200);
  expect((await fetch(`${base}/slack/events`)).status).toBe(404);
});

test("a list the API server refuses to the worker's cluster sync is counted as list-watch by code", async () => {
  const refused = { cluster: 'prod', operation: 'list-watch', code: 'E_KUBE_FORBIDDEN', status: '403' };
  const before = zeroIfAbsent((await worker()).value('netpol_kube_api_errors_total', refused));
  // Old resourceVersions expire, the watches end: the informers relist, and the pods' list is refused once.
  plane.kube.compact();
  plane.kube.failNext({ verb: 'list', resource: 'pods', status: 403 });
  plane.kube.dropWatches();
  await until(
    'the refused list counted',
    worker,
    (s) => zeroIfAbsent(s.value('netpol_kube_api_errors_total', refused)) === before + 1,
  );
});
