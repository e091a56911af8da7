/** The agent's flow reporter writing to a real Redis through the flow store. */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import type { DataplaneEvent } from '../adapters/bpf/abi';
import { FlowStore } from '../adapters/redis/flow-store';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import { FlowReporter } from './flow-reporter';

let redis: TestRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

const pods = {
  podOfEndpoint: () => ({ namespace: 'backend', name: 'api-0', labels: { app: 'api' } }),
  podOf: (a: string) =>
    a === '10.1.0.5' ? { namespace: 'frontend', name: 'web-0', labels: { app: 'web' } } : undefined,
};
const event = (kind: DataplaneEvent['kind']) =>
  ({
    source: '10.1.0.5',
    destination: '10.1.0.6',
    destinationPort: 8080,
    protocol: 6,
    endpointId: 6,
    suppressed: 0,
    direction: 'ingress',
    kind,
  }) as DataplaneEvent;

/** A fresh store (its own prefix) and reporters writing to it at one instant, per node. */
function storeAndReporters() {
  const store = new FlowStore(client, `rep-${randomBytes(4).toString('hex')}`);
  const now = new Date(); // the store's expiry runs on the real Redis clock
  const reporterOn = (node: string) =>
    new FlowReporter({
      cluster: 'prod',
      node,
      store,
      intervalMs: 60_000,
      maxKeys: 10,
      clock: () => now,
      log: pino({ level: 'silent' }),
    });
  return { store, now, reporterOn };
}

test('an interval of events becomes one flow per verdict in the store, adding up across intervals', async () => {
  const { store, now, reporterOn } = storeAndReporters();
  const reporter = reporterOn('node-a');
  for (let i = 0; i < 3; i++) reporter.add(event('allow-new-flow'), pods);
  reporter.add(event('drop'), pods);
  await reporter.flush();
  reporter.add(event('allow-new-flow'), pods);
  await reporter.close();
  const flows = await store.list('prod', 'backend', now);
  expect(flows.map((f) => [f.verdict, f.count])).toEqual(
    expect.arrayContaining([
      ['allowed', 4],
      ['blocked', 1],
    ]),
  );
  expect(flows).toHaveLength(2);
  expect(reporter.stats()).toEqual({ written: 3, overflow: 0, failed: 0, wouldDrops: 0 });
});

test("every flow names the agent's node; the store keeps the nodes of two agents' reports", async () => {
  const { store, now, reporterOn } = storeAndReporters();
  const [onB, onA] = [reporterOn('node-b'), reporterOn('node-a')];
  onB.add(event('drop'), pods);
  onB.add(event('allow-new-flow'), pods);
  onA.add(event('drop'), pods);
  await Promise.all([onB.close(), onA.close()]);
  const flows = await store.list('prod', 'backend', now);
  expect(flows.map((f) => [f.verdict, f.count, f.nodes])).toEqual(
    expect.arrayContaining([
      ['blocked', 2, ['node-a', 'node-b']],
      ['allowed', 1, ['node-b']],
    ]),
  );
  expect(flows).toHaveLength(2);
});

test("a would-drop (audit mode) is a 'would-block' flow in the store naming the audit policies, and counted", async () => {
  const { store, now, reporterOn } = storeAndReporters();
  const reporter = reporterOn('node-a');
  const audited = { ...pods, auditPoliciesOf: () => ['backend/default-deny-ingress'] };
  reporter.add({ ...event('would-drop'), suppressed: 2 }, audited);
  reporter.add(event('allow-new-flow'), audited);
  await reporter.close();
  const flows = await store.list('prod', 'backend', now);
  expect(flows.map((f) => [f.verdict, f.count, f.auditPolicies])).toEqual(
    expect.arrayContaining([
      ['would-block', 3, ['backend/default-deny-ingress']],
      ['allowed', 1, undefined],
    ]),
  );
  expect(flows).toHaveLength(2);
  expect(reporter.stats()).toMatchObject({ written: 2, wouldDrops: 3 });
});
