/**
 * Status reports for the status renderers' tests (golden Slack messages, the terminal's text): two
 * clusters, one healthy with a node agent out of sync, one whose worker stopped four minutes ago.
 */
import { HEARTBEAT_VERSION, type Heartbeat } from '../../src/contracts/heartbeat';
import type { AgentStatus, StatusReport } from '../../src/adapters/redis/heartbeat-status';

export const STATUS_AT = '2026-11-23T09:30:00.000Z';

export function beat(fields: Partial<Heartbeat>): Heartbeat {
  return {
    v: HEARTBEAT_VERSION,
    kind: 'worker',
    id: 'netpol-worker-7d9f:1',
    version: '0.1.0',
    cluster: 'prod-eu',
    node: 'netpol-worker-7d9f',
    at: '2026-11-23T09:29:55.000Z',
    intervalMs: 10_000,
    inSync: true,
    since: '2026-11-23T08:00:00.000Z',
    lastSync: '2026-11-23T09:29:55.000Z',
    queueDepth: 0,
    ...fields,
  };
}

export function agent(node: string, fields: Partial<AgentStatus> = {}): AgentStatus {
  return { ...beat({ kind: 'agent', id: node, node }), dropsPerMinute: 0, ...fields };
}

export function statusReport(overrides: Partial<StatusReport> = {}): StatusReport {
  return {
    at: STATUS_AT,
    prefix: 'netpol',
    redis: { ok: true, latencyMs: 0.4, version: '7.2.4', usedMemory: '2.31M', uptimeSeconds: 86_400 },
    queues: [
      { name: 'slack-outbound', waiting: 0, active: 1, delayed: 0, failed: 0 },
      { name: 'request-expiry', waiting: 0, active: 0, delayed: 3, failed: 0 },
    ],
    clusters: [
      {
        cluster: 'prod-eu',
        configured: true,
        liveness: {
          cluster: 'prod-eu',
          workerAlive: true,
          lastWorker: { id: 'netpol-worker-7d9f:1', at: '2026-11-23T09:29:55.000Z' },
          snapshotAsOf: '2026-11-23T09:29:55.000Z',
        },
        snapshot: { updatedAt: '2026-11-23T09:12:00.000Z', namespaces: 12, pods: 48, policies: 9 },
        workers: [beat({ queueDepth: 1 })],
        agents: [
          agent('node-a', { dropsPerMinute: 12 }),
          agent('node-b', {
            inSync: false,
            since: '2026-11-23T09:28:00.000Z',
            reason: 'map sync failing: map update refused',
            lastSync: '2026-11-23T09:27:58.000Z',
            queueDepth: 4,
          }),
        ],
        applyQueue: { name: 'apply-prod-eu', waiting: 1, active: 0, delayed: 0, failed: 2 },
        dropsPerMinute: 12,
        dropsCapped: false,
      },
      {
        cluster: 'staging',
        configured: true,
        liveness: {
          cluster: 'staging',
          workerAlive: false,
          lastWorker: {
            id: 'netpol-worker-55c1:1',
            at: '2026-11-23T09:26:00.000Z',
            stoppedAt: '2026-11-23T09:26:00.000Z',
          },
          snapshotAsOf: '2026-11-23T09:25:50.000Z',
        },
        snapshot: { updatedAt: '2026-11-23T09:20:00.000Z', namespaces: 3, pods: 7, policies: 1 },
        workers: [
          beat({
            id: 'netpol-worker-55c1:1',
            cluster: 'staging',
            at: '2026-11-23T09:26:00.000Z',
            stoppedAt: '2026-11-23T09:26:00.000Z',
          }),
        ],
        agents: [],
        applyQueue: { name: 'apply-staging', waiting: 2, active: 0, delayed: 0, failed: 0 },
        dropsPerMinute: 0,
        dropsCapped: false,
      },
    ],
    ...overrides,
  };
}
