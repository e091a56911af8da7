/**
 * `netpol status` in the terminal over a real Redis: the clusters that report (a worker's and an
 * agent's heartbeats, a snapshot), `--cluster` for one that does not, JSON output, the bot's
 * REDIS_URL/NETPOL_PREFIX when no flag is given, and Redis down said in one line; exit status 3
 * whenever something does not report.
 */
import Redis from 'ioredis';
import { HeartbeatStore } from '../../src/adapters/redis/heartbeat-store';
import { ClusterCache } from '../../src/adapters/redis/cluster-cache';
import { HEARTBEAT_VERSION, type Heartbeat } from '../../src/contracts/heartbeat';
import type { StatusReport } from '../../src/adapters/redis/heartbeat-status';
import { parseState } from '../../src/core/state/load-state';
import { runCliCaptured } from '../support/run-cli';
import { startRedis, type TestRedis } from '../../src/devtools/redis/redis-server';

const run = (argv: string[], env: Record<string, string> = {}) => runCliCaptured(argv, { env });

const beat = (fields: Partial<Heartbeat>): Heartbeat => ({
  v: HEARTBEAT_VERSION,
  kind: 'worker',
  id: 'host-a:42',
  version: '0.1.0',
  cluster: 'prod',
  node: 'host-a',
  at: new Date().toISOString(),
  intervalMs: 10_000,
  inSync: true,
  since: new Date().toISOString(),
  queueDepth: 0,
  ...fields,
});

describe('netpol status', () => {
  let redis: TestRedis;
  let client: Redis;
  let prefix: string;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    prefix = `cli-${Date.now()}`;
    const store = new HeartbeatStore(client, { prefix });
    await store.publish(beat({}));
    await store.publish(beat({ kind: 'agent', id: 'node-1', node: 'node-1' }));
    await new ClusterCache(client, prefix).write({
      cluster: 'prod',
      state: parseState('kind: List\nitems:\n  - { kind: Namespace, metadata: { name: backend } }\n'),
      updatedAt: new Date().toISOString(),
    });
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('prints each reporting cluster, its worker and agents; exit 0 when all report', async () => {
    const { code, stdout } = await run(['status', '--redis', redis.url, '--prefix', prefix]);
    expect(stdout).toMatch(/^netpol status: 1 cluster, all reporting/);
    expect(stdout).toContain('[ok] prod: snapshot current (1 namespace, 0 pods, 0 policies)');
    expect(stdout).toMatch(/\[ok\] host-a:42 v0\.1\.0: in sync since .*, last seen \d+ s ago, 0 jobs queued/);
    expect(stdout).toContain('node agents (1, 1 in sync): 0 drops/min');
    expect(stdout).toMatch(/\[ok\] Redis answers: v\d/);
    expect(code).toBe(0);
  });

  it('reads the bot’s REDIS_URL and NETPOL_PREFIX when no flag is given', async () => {
    const { code, stdout } = await run(['status'], { REDIS_URL: redis.url, NETPOL_PREFIX: prefix });
    expect(stdout).toContain('[ok] prod: snapshot current');
    expect(code).toBe(0);
  });

  it('lists a named cluster nothing reports for, and exits 3', async () => {
    const { code, stdout } = await run([
      'status',
      '--redis',
      redis.url,
      '--prefix',
      prefix,
      '--cluster',
      'staging',
    ]);
    expect(stdout).toContain('no live worker for staging');
    expect(stdout).toContain('[!!] staging: no snapshot: no worker has reported this cluster');
    expect(code).toBe(3);
  });

  it('prints the report as JSON', async () => {
    const { stdout } = await run(['status', '--redis', redis.url, '--prefix', prefix, '-o', 'json']);
    const report = JSON.parse(stdout) as StatusReport;
    expect(report.clusters.map((c) => [c.cluster, c.workers.length, c.agents.length])).toEqual([
      ['prod', 1, 1],
    ]);
  });

  it('says Redis does not answer, without the password, and exits 3', async () => {
    const { code, stdout } = await run(['status', '--redis', 'redis://:hunter2@127.0.0.1:1']);
    expect(stdout).toMatch(/^netpol status: Redis does not answer/);
    expect(stdout).toMatch(/\[!!\] Redis does not answer: redis:\/\/:\*\*\*@127\.0\.0\.1:1.*ECONNREFUSED/);
    expect(stdout).not.toContain('hunter2');
    expect(code).toBe(3);
  });

  it('refuses an unknown flag in one line', async () => {
    const { code, stderr } = await run(['status', '--bogus']);
    expect(stderr).toMatch(/^netpol: E_USAGE/);
    expect(code).toBe(2);
  });
});
