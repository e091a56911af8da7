/**
 * `netpol status` in the terminal (statusText) and what both forms must say: problems first, the
 * silent worker with when it was last seen, agents out of sync with why, drops per minute, queue
 * depths and Redis. The Slack form is pinned by golden files (golden.test.ts: status*).
 */
import { agent, statusReport } from '../../../../test/support/status-fixtures';
import { renderStatus, statusText, AGENTS_SHOWN } from './status';
import { staleSnapshotNote, waitingForWorkerNote } from './status-notes';

describe('statusText', () => {
  it('reads as the operator needs it, one cluster after the other', () => {
    expect(statusText(statusReport())).toBe(
      [
        'netpol status: 2 clusters, no live worker for staging; 1 node agent not in sync (at 2026-11-23 09:30 UTC, prefix netpol)',
        '[ok] Redis answers: v7.2.4, ping 0.4 ms, 2.31M used, up 1 d',
        'Queues: slack-outbound 0 waiting, 1 running · request-expiry 0 waiting, 0 running, 3 delayed',
        '',
        '[ok] prod-eu: snapshot current (12 namespaces, 48 pods, 9 policies)',
        '    apply queue: 1 waiting, 0 running, 2 failed',
        '    workers (1):',
        '      [ok] netpol-worker-7d9f:1 v0.1.0: in sync since 2026-11-23 08:00 UTC, last seen 5 s ago, 1 job queued',
        '    node agents (2, 1 in sync): 12 drops/min',
        '      [!!] node-b v0.1.0: not in sync since 2026-11-23 09:28 UTC (map sync failing: map update refused), last in sync 2 min ago, 0 drops/min, 4 drop events not yet sent',
        '      [ok] node-a v0.1.0: in sync since 2026-11-23 08:00 UTC, 12 drops/min',
        '',
        '[!!] staging: snapshot 4 min old (3 namespaces, 7 pods, 1 policy): its worker was last seen 4 min ago (stopped)',
        '    apply queue: 2 waiting, 0 running',
        '    workers (1):',
        '      [!!] netpol-worker-55c1:1 v0.1.0: stopped 4 min ago',
        '    node agents: none reporting; 0 drops/min',
        '',
      ].join('\n'),
    );
  });

  it('says only that Redis does not answer when it does not', () => {
    const text = statusText(
      statusReport({
        redis: { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:6390' },
        queues: [],
        clusters: [],
      }),
    );
    expect(text).toContain('netpol status: Redis does not answer');
    expect(text).toContain('[!!] Redis does not answer: connect ECONNREFUSED 127.0.0.1:6390');
  });

  it('lists the agents out of sync first and counts the healthy ones past the limit', () => {
    const base = statusReport();
    const many = Array.from({ length: 40 }, (_, i) => agent(`node-${String(i).padStart(2, '0')}`));
    many.push(agent('node-late', { inSync: false, reason: 'informers not synced' }));
    const text = statusText({ ...base, clusters: [{ ...base.clusters[0]!, agents: many }] });
    expect(text).toContain('node agents (41, 40 in sync)');
    expect(text.indexOf('node-late')).toBeLessThan(text.indexOf('node-00'));
    expect(text).toContain(`…and ${41 - AGENTS_SHOWN} more in sync`);
  });
});

describe('renderStatus', () => {
  it('names the person who asked and says the same as the terminal', () => {
    const message = renderStatus(statusReport(), { user: 'U0ALICE001' });
    const text = JSON.stringify(message.blocks);
    expect(message.text).toBe(
      'netpol status: 2 clusters, no live worker for staging; 1 node agent not in sync',
    );
    expect(text).toContain('<@U0ALICE001>');
    expect(text).toContain('its worker was last seen 4 min ago (stopped)');
  });
});

describe('the notes on previews and cards', () => {
  const silent = statusReport().clusters[1]!.liveness;
  const alive = statusReport().clusters[0]!.liveness;
  const now = '2026-11-23T09:30:00.000Z';

  it('say nothing while a worker is alive', () => {
    expect(staleSnapshotNote(alive, now)).toBeUndefined();
    expect(waitingForWorkerNote(alive, now)).toBeUndefined();
  });

  it('give the snapshot’s age and the worker’s last sign of life when it is silent', () => {
    expect(staleSnapshotNote(silent, now)).toBe(
      ':warning: The snapshot of cluster *staging* this was computed from is 4 min old: its worker is silent, last seen 4 min ago (stopped).',
    );
    expect(waitingForWorkerNote(silent, now)).toBe(
      ':warning: Waiting for the staging worker, last seen 4 min ago (stopped)',
    );
    expect(waitingForWorkerNote({ cluster: 'dev', workerAlive: false }, now)).toBe(
      ':warning: Waiting for the dev worker, no worker has reported in the last hour',
    );
  });
});
