/**
 * Issue 11 end to end over the stand-ins: `/netpol status` reports the cluster, its worker, a node
 * agent and its drops per minute, the queues and Redis; a worker stopped with a request in flight
 * shows on the request's card ("waiting for the prod worker, last seen …"), in `/netpol status`
 * and on a new preview (the snapshot's age); once a worker is back the request is applied and the
 * card says so, without the note.
 */
import Redis from 'ioredis';
import pino from 'pino';
import { agentHeartbeat } from '../../src/agent/heartbeat';
import { RequestStore } from '../../src/adapters/redis/request-store';
import {
  dropEventFields,
  dropStreamKey,
  DROP_EVENT_VERSION,
  type DropEvent,
} from '../../src/contracts/drop-events';
import {
  APPROVAL_CHANNEL,
  BOB,
  buttonValue,
  startControlPlane,
  type ControlPlane,
} from '../../src/devtools/control-plane';
import { approvalMessageWhere, submit } from './transport-scenarios';

jest.setTimeout(60_000);

/** Every text of a reply, as one string the person reads. */
const shown = (reply: { text?: string; blocks?: unknown }): string =>
  `${reply.text ?? ''}\n${JSON.stringify(reply.blocks ?? [])}`;

/** Asks `/netpol status` until the reply satisfies `predicate` (the worker's beats are periodic). */
async function statusWhere(plane: ControlPlane, predicate: (text: string) => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    last = shown((await plane.slash('status')).reply);
    if (predicate(last)) return last;
  }
  throw new Error(`/netpol status never showed ${what}; last reply: ${last.slice(0, 1500)}`);
}

const DROP: DropEvent = {
  v: DROP_EVENT_VERSION,
  cluster: 'prod',
  node: 'node-1',
  at: new Date().toISOString(),
  pod: { namespace: 'backend', name: 'nginx-backend', labels: { app: 'nginx' } },
  peer: { namespace: 'frontend', name: 'nginx-frontend', labels: { app: 'nginx' } },
  direction: 'ingress',
  source: '10.244.1.10',
  destination: '10.244.2.20',
  sourcePort: 40000,
  destinationPort: 80,
  protocol: 6,
  peerAddress: '10.244.1.10',
  reason: 'NO_RULE_INGRESS',
  suppressed: 0,
};

describe('cluster and component liveness', () => {
  let plane: ControlPlane;
  let client: Redis;
  beforeAll(async () => {
    plane = await startControlPlane({ heartbeatIntervalMs: 100, waitingCardIntervalMs: 100 });
    client = new Redis(plane.redis.url, { maxRetriesPerRequest: null });
    await plane.startWorker();
    await plane.waitForSnapshot();
  });
  afterAll(async () => {
    client.disconnect();
    await plane.close();
  });

  it('/netpol status: the cluster, its worker, a node agent with its drops, the queues and Redis', async () => {
    // A node agent's heartbeat (the agent's own module) and two drops it published.
    await agentHeartbeat({
      redis: client,
      prefix: plane.config.prefix,
      cluster: 'prod',
      node: 'node-1',
      readiness: () => ({ ready: true }),
      dropEventStats: () => ({ buffered: 0 }),
      log: pino({ level: 'silent' }),
    }).beat();
    for (let i = 0; i < 2; i++)
      await client.xadd(dropStreamKey(plane.config.prefix, 'prod'), '*', ...dropEventFields(DROP));

    // The worker's first beat may come before its first snapshot ("not in sync"): wait for one after.
    const text = await statusWhere(
      plane,
      (t) => /:large_green_circle: `[^`]+:\d+` v[^:]+: in sync since/.test(t),
      'an in-sync worker',
    );
    expect(text).toContain('netpol status: 1 cluster, all reporting');
    expect(text).toContain('*prod*: snapshot current (2 namespaces, 2 pods, 1 policy)');
    expect(text).toMatch(
      /:large_green_circle: `[^`]+:\d+` v\d+\.\d+\.\d+: in sync since [^,]+, last seen \d+ s ago, 0 jobs queued/,
    );
    expect(text).toContain('node agents (1, 1 in sync): 2 drops/min');
    expect(text).toMatch(/:large_green_circle: `node-1` v[^:]+: in sync since [^,]+, 2 drops\/min/);
    expect(text).toMatch(/Redis answers: v\d+\.\d+\.\d+, ping [\d.]+ ms/);
    expect(text).toContain('`slack-outbound`');
    expect(text).toContain('apply queue: 0 waiting, 0 running');
  });

  it('a worker stopped with a request in flight shows on the card, in /netpol status and on previews', async () => {
    const { approval, requestId } = await submit(plane, 'allow frontend nginx to backend on tcp/8181');
    await plane.stopWorker();
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    // The card: approved, and waiting on a worker that was last seen when it stopped.
    const waiting = await approvalMessageWhere(plane, approval.ts, (t) =>
      /Waiting for the prod worker, last seen \d+ s ago \(stopped\)/.test(t),
    );
    expect(shown(waiting)).toContain('Approved by');

    const status = await statusWhere(plane, (t) => t.includes('stopped'), 'the stopped worker');
    expect(status).toContain('no live worker for prod');
    expect(status).toMatch(
      /:red_circle: \*prod\*: snapshot \d+ s old \(2 namespaces, 2 pods, 1 policy\): its worker was last seen \d+ s ago \(stopped\)/,
    );
    expect(status).toMatch(/:red_circle: `[^`]+` v[^:]+: stopped \d+ s ago/);
    expect(status).toContain('apply queue: 1 waiting, 0 running');

    const preview = await plane.slash('allow frontend nginx to backend on tcp/8182');
    expect(shown(preview.reply)).toMatch(
      /The snapshot of cluster \*prod\* this was computed from is \d+ s old: its worker is silent/,
    );

    // A worker again: the request is applied and the card loses the note.
    await plane.startWorker();
    const applied = await approvalMessageWhere(plane, approval.ts, (t) => t.includes('Applied at'));
    expect(shown(applied)).not.toContain('Waiting for the prod worker');
    await statusWhere(plane, (t) => t.includes('all reporting'), 'the worker back');
    expect(
      plane.kube.store
        .list('networkpolicies', 'backend')
        .some(
          (p) =>
            (p as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.[
              'netpol.io/request-id'
            ] === requestId,
        ),
    ).toBe(true);
  });
  it('a worker stopped mid-apply (the API failing, the job backing off) shows on the card and in status, and finishes when back', async () => {
    const store = new RequestStore(client, { prefix: plane.config.prefix });
    plane.kube.failNext({ verb: 'patch', resource: 'networkpolicies', status: 503, times: 1000 });
    const { approval, requestId } = await submit(plane, 'allow frontend nginx to backend on tcp/8183');
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    // The first attempt failed on the 503 and the job waits for its retry: the request is applying.
    const deadline = Date.now() + 10_000;
    while ((await store.audit(requestId)).every((e) => e.action !== 'apply-retry')) {
      if (Date.now() > deadline) throw new Error('the apply was never retried');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await plane.stopWorker();
    const waiting = await approvalMessageWhere(plane, approval.ts, (t) =>
      /Waiting for the prod worker, last seen \d+ s ago \(stopped\)/.test(t),
    );
    expect(shown(waiting)).toMatch(/Applying|Queued to apply/);
    const status = await statusWhere(plane, (t) => t.includes('stopped'), 'the stopped worker');
    expect(status).toMatch(/apply queue: 0 waiting, 0 running, 1 delayed/);

    plane.kube.clearFaults();
    await plane.startWorker();
    const applied = await approvalMessageWhere(plane, approval.ts, (t) => t.includes('Applied at'));
    expect(shown(applied)).not.toContain('Waiting for the prod worker');
    expect((await store.get(requestId))?.state).toBe('applied');
  });
});
