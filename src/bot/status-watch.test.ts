/**
 * The waiting-card watch (issue 11): the card of an approved request is edited while its cluster's
 * worker is silent, at most once a minute, once more when a worker is back, and never for a cluster
 * whose worker is alive or a request whose card was not posted. Edits are `update` jobs with
 * `cardFor` (rendered from the current record at delivery); the clock and liveness are injected.
 */
import pino from 'pino';
import type { ClusterLiveness } from '../contracts/heartbeat';
import type { SlackOutboundJob } from '../contracts/queues';
import type { RequestRecord } from '../contracts/request-record';
import { startWaitingCardWatch } from './status-watch';

const approved = (id: string, cluster: string, card = true): RequestRecord =>
  ({
    id,
    cluster,
    state: 'approved',
    ...(card ? { approvalChannel: 'C0APPROVALS', approvalTs: `${id}.ts` } : {}),
  }) as RequestRecord;

describe('the waiting-card watch', () => {
  it('edits the cards waiting on a silent worker once a minute, and once when it is back', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const alive = new Map<string, boolean>([
      ['prod', false],
      ['staging', true],
    ]);
    const records = [
      approved('r-prod1', 'prod'),
      approved('r-nocard', 'prod', false),
      approved('r-stg1', 'staging'),
    ];
    const sent = new Map<string, SlackOutboundJob>();
    const watch = startWaitingCardWatch({
      clusters: ['prod', 'staging'],
      store: {
        listByState: async (_states, options) => records.filter((r) => r.cluster === options?.cluster),
      },
      outbox: {
        send: async (job, options) => {
          // As BullMQ does: a job id already used is not sent again.
          if (!sent.has(options?.jobId ?? '')) sent.set(options?.jobId ?? '', job);
        },
      },
      liveness: async (cluster): Promise<ClusterLiveness> => ({
        cluster,
        workerAlive: alive.get(cluster) === true,
      }),
      clock: () => new Date(now),
      intervalMs: 3_600_000,
      log: pino({ level: 'silent' }),
    });
    try {
      await watch.check();
      await watch.check();
      expect([...sent.keys()]).toEqual([`card-waiting-r-prod1-${now / 60_000}`]);
      expect(sent.get(`card-waiting-r-prod1-${now / 60_000}`)).toMatchObject({
        kind: 'update',
        channel: 'C0APPROVALS',
        ts: 'r-prod1.ts',
        cardFor: 'r-prod1',
      });
      now += 60_000;
      await watch.check();
      expect(sent.size).toBe(2);
      alive.set('prod', true);
      await watch.check();
      await watch.check();
      expect([...sent.keys()].at(-1)).toBe(`card-worker-back-r-prod1-${now / 60_000}`);
      expect(sent.size).toBe(3);
    } finally {
      await watch.stop();
    }
  });
});
