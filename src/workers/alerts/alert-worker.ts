/**
 * The alert worker (issue 10): reads the agents' drop events of one cluster from its Redis Stream
 * and turns them into one Slack message per flow group and window, edited in place as the count
 * grows, and a digest per channel when a window closes.
 *
 * Reading: a consumer group (`netpol-alerts`) on the stream, so several workers share the load.
 * Each batch is counted and acknowledged in one atomic step (AlertStore.apply), so a worker that
 * dies mid-batch leaves its entries pending; every worker reclaims entries idle longer than
 * `claimIdleMs` with XAUTOCLAIM, so nothing is lost, and the atomic ack means nothing is counted
 * twice.
 *
 * Sending: counting only marks a group dirty. Every `flushEveryMs` a worker takes dirty groups
 * (each leased to one worker for `claimLeaseMs`), and for each claims its one send slot: the first
 * send posts, the next ones edit that message (chat.update) once the post's ts is recorded by the
 * bot's outbound hook. While a group's message is in flight the group stays dirty, so however many
 * drops arrive it costs at most one Slack call in flight per group, and the outbound queue paces
 * each channel to about one call a second. A worker that dies holding a lease or a claimed send
 * holds the group only until the lease ends. Everything goes through the SlackOutbox.
 *
 * Muted groups are counted but not sent: they are held (AlertStore.hold), and whenever the mutes
 * in force change (an unmute, a mute running out) the held groups no mute covers any more are
 * sent again, so their message shows the count without waiting for another drop. An alert that
 * could not name the blocking policy because the cluster snapshot was older than its last drop
 * (the agents' informers saw the new policy first) is rendered again once a snapshot that new is
 * read, once.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { AlertStore, alertButtonValue, type AlertRecord } from '../../adapters/redis/alert-store';
import { ClusterCache } from '../../adapters/redis/cluster-cache';
import { MuteStore, muteMatches, muteTargetText, type Mute } from '../../adapters/redis/mute-store';
import { renderAlertDigest } from '../../adapters/slack/render/alert';
import { SlackOutbox } from '../../adapters/slack/outbound/slack-outbox';
import { dropStreamKey, parseDropEventEntry } from '../../contracts/drop-events';
import type { SlackOutboundJob } from '../../contracts/queues';
import type { AlertsConfig } from '../../platform/config/config';
import { aggregateBatch } from './drop-groups';
import { alertInput, alertView, channelFor, indexCache } from './alert-view';
import { alertHeadline, renderAlert } from '../../adapters/slack/render/alert';

export const ALERT_CONSUMER_GROUP = 'netpol-alerts';

export interface AlertWorkerTiming {
  /** How long one XREADGROUP waits for new entries. */
  blockMs: number;
  batchSize: number;
  /** Entries pending this long with another consumer are taken over (that consumer is presumed dead). */
  claimIdleMs: number;
  claimEveryMs: number;
  flushEveryMs: number;
  /** A message job not delivered in this time is presumed lost (Slack refused it) and sent again. */
  lostAfterMs: number;
  /** A send claimed but not queued in this time was abandoned by a dead worker and is claimed again. */
  claimLeaseMs: number;
  /** A window's digest waits this long after the window's end for late events. */
  digestGraceMs: number;
  /**
   * Alerts wait this long after start for the cluster snapshot (written by the cluster sync), so
   * their first words name the blocking policy; after that they go out without it.
   */
  snapshotWaitMs: number;
}

export const DEFAULT_ALERT_TIMING: Readonly<AlertWorkerTiming> = Object.freeze({
  blockMs: 1000,
  batchSize: 500,
  claimIdleMs: 30_000,
  claimEveryMs: 5_000,
  flushEveryMs: 1_000,
  lostAfterMs: 5 * 60_000,
  claimLeaseMs: 10_000,
  digestGraceMs: 10_000,
  snapshotWaitMs: 30_000,
});

export interface AlertWorkerSettings {
  cluster: string;
  redisUrl: string;
  prefix: string;
  alerts: AlertsConfig;
}

export interface AlertWorkerDeps {
  log: Logger;
  clock?: () => Date;
  timing?: Partial<AlertWorkerTiming>;
  /** This consumer's name in the group; default host-pid-random. */
  consumer?: string;
  /** Awaited between reading a batch and counting it (tests hold a worker there to kill it mid-batch). */
  beforeCount?: (entryIds: readonly string[]) => Promise<void>;
}

export interface AlertWorkerStats {
  /** Stream entries read (an entry carries one drop event, or many from a batching agent). */
  read: number;
  reclaimed: number;
  /** Entries this worker was first to count. */
  counted: number;
  /** Drops (suppressed ones included) in the entries it counted. */
  drops: number;
  sent: number;
}

export interface AlertWorker {
  readonly consumer: string;
  stats(): AlertWorkerStats;
  /** Stops reading and sending, finishing the batch in hand. */
  close(): Promise<void>;
  /** Stops dead, as a crash would: connections dropped, the batch in hand neither counted nor acknowledged. */
  kill(): void;
}

type StreamEntry = [id: string, fields: string[] | null];

export async function startAlertWorker(
  settings: AlertWorkerSettings,
  deps: AlertWorkerDeps,
): Promise<AlertWorker> {
  const timing: AlertWorkerTiming = { ...DEFAULT_ALERT_TIMING, ...deps.timing };
  const clock = deps.clock ?? (() => new Date());
  const { cluster, prefix, alerts } = settings;
  const consumer = deps.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = deps.log.child({ component: 'alerts', cluster, consumer });
  const stream = dropStreamKey(prefix, cluster);

  // One connection blocks on XREADGROUP; the other serves everything else (BullMQ needs
  // maxRetriesPerRequest: null on a connection it shares).
  const reader = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
  for (const connection of [reader, redis])
    connection.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
  const store = new AlertStore(redis, { prefix });
  const mutes = new MuteStore(redis, prefix);
  const clusters = new ClusterCache(redis, prefix);
  const outbox = new SlackOutbox({ connection: redis, prefix, log });
  const indexOf = indexCache();
  const stats: AlertWorkerStats = { read: 0, reclaimed: 0, counted: 0, drops: 0, sent: 0 };

  try {
    await redis.xgroup('CREATE', stream, ALERT_CONSUMER_GROUP, '0', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
  }

  const startedAt = Date.now();
  let stopping = false;
  let killed = false;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
    });

  const count = async (entries: StreamEntry[]): Promise<void> => {
    if (entries.length === 0) return;
    const parsed = entries.map(([entryId, fields]) => ({
      entryId,
      events: fields === null ? null : parseDropEventEntry(fields),
    }));
    const batch = aggregateBatch(parsed, alerts.windowMs);
    await deps.beforeCount?.(entries.map(([id]) => id));
    if (killed) return;
    const counted = await store.apply(cluster, stream, ALERT_CONSUMER_GROUP, batch);
    stats.counted += counted.entries;
    stats.drops += counted.drops;
    if (batch.badEvents > 0) log.warn({ events: batch.badEvents }, 'drop events with a bad time dropped');
    if (batch.unreadable.length > 0) {
      log.warn({ entries: batch.unreadable.length }, 'unreadable drop events acknowledged and dropped');
      await redis.xack(stream, ALERT_CONSUMER_GROUP, ...batch.unreadable);
    }
  };

  let claimCursor = '0-0';
  let nextClaimAt = 0;
  const reclaim = async (): Promise<void> => {
    if (Date.now() < nextClaimAt) return;
    const reply = (await redis.xautoclaim(
      stream,
      ALERT_CONSUMER_GROUP,
      consumer,
      timing.claimIdleMs,
      claimCursor,
      'COUNT',
      timing.batchSize,
    )) as [string, StreamEntry[]];
    claimCursor = reply[0];
    const entries = reply[1].filter((e): e is StreamEntry => Array.isArray(e));
    if (entries.length > 0) {
      stats.reclaimed += entries.length;
      log.info({ entries: entries.length }, 'reclaimed drop events another consumer left pending');
      await count(entries);
    }
    if (claimCursor === '0-0') nextClaimAt = Date.now() + timing.claimEveryMs;
  };

  const readLoop = (async () => {
    while (!stopping) {
      try {
        await reclaim();
        const reply = (await reader.xreadgroup(
          'GROUP',
          ALERT_CONSUMER_GROUP,
          consumer,
          'COUNT',
          timing.batchSize,
          'BLOCK',
          timing.blockMs,
          'STREAMS',
          stream,
          '>',
        )) as [string, StreamEntry[]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        stats.read += entries.length;
        await count(entries);
      } catch (err) {
        if (stopping) break;
        log.warn({ err }, 'reading drop events failed: retrying');
        await pause(1000);
      }
    }
  })();

  const send = async (job: SlackOutboundJob, jobId: string): Promise<void> => {
    await outbox.send(job, { jobId });
    stats.sent++;
  };

  const mutedBy = (mutesNow: readonly Mute[], record: AlertRecord): boolean =>
    mutesNow.some((m) => muteMatches(m.target, record.group));

  // The mutes in force when the held groups were last looked at (undefined: not yet, at start).
  let heldUnder: string | undefined;
  /** Sends again the held groups no mute covers any more, once per change of the mutes. */
  const releaseHeld = async (mutesNow: readonly Mute[]): Promise<void> => {
    const signature = mutesNow
      .map((m) => muteTargetText(m.target))
      .sort()
      .join('\n');
    if (signature === heldUnder) return;
    const due: string[] = [];
    const released: string[] = [];
    for (const id of await store.heldGroups(cluster)) {
      const record = await store.get(cluster, id);
      if (record !== undefined && mutedBy(mutesNow, record)) continue;
      released.push(id);
      // A message to bring up to date, or an open window's first post; a closed window's group
      // never posted stays in its digest (an unmute does not post a day of old alerts).
      if (record !== undefined && (record.ts !== undefined || record.windowEnd > clock().getTime()))
        due.push(id);
    }
    await store.markDirty(cluster, due);
    await store.unhold(cluster, released);
    heldUnder = signature;
  };

  /** Groups whose blame waited for a snapshot as new as their last drop are due once it is read. */
  const dueRechecks = async (): Promise<void> => {
    const snapshot = await clusters.read(cluster);
    const written = snapshot === undefined ? NaN : Date.parse(snapshot.updatedAt);
    // Without a snapshot nothing is due, but the long-waiting are still let go.
    await store.dueRechecks(cluster, Number.isNaN(written) ? 0 : written, clock().getTime());
  };

  const flushGroups = async (): Promise<void> => {
    const leaseUntil = Date.now() + timing.claimLeaseMs;
    const ids = await store.takeDirty(cluster, 100, Date.now(), leaseUntil);
    if (ids.length === 0) return;
    // Read after taking the groups: a drop counted after a mute was written is then always judged
    // with that mute (mutes read before takeDirty let one edit of a just-muted group through).
    const mutesNow = await mutes.active(cluster, clock().getTime());
    const snapshot = await clusters.read(cluster);
    const state = snapshot?.state;
    if (state === undefined && Date.now() - startedAt < timing.snapshotWaitMs) {
      await store.markDirty(cluster, ids);
      return;
    }
    const done: string[] = [];
    const index = state === undefined ? undefined : indexOf(state);
    const later: string[] = [];
    const held: string[] = [];
    for (const id of ids) {
      const record = await store.get(cluster, id);
      if (record === undefined) {
        done.push(id);
        continue;
      }
      if (mutedBy(mutesNow, record)) {
        held.push(id);
        done.push(id);
        continue;
      }
      const claim = await store.claimSend(cluster, id, clock().getTime(), timing);
      if (claim.action === 'busy') {
        later.push(id);
        continue;
      }
      if (claim.action === 'gone') {
        done.push(id);
        continue;
      }
      // The button is offered only where Request allow can help (alert-view: offersRequestAllow).
      const view = alertView({
        record,
        state,
        index,
        windowMs: alerts.windowMs,
        ...(snapshot === undefined ? {} : { snapshotAt: snapshot.updatedAt }),
        requestAllow: alertButtonValue({ cluster, id }),
      });
      const message = renderAlert(view.alert);
      const alert = { cluster, id };
      try {
        if (claim.action === 'post') {
          const channel = channelFor(alerts, record.group);
          // One id per group for its post: a post re-sent after a crash is a no-op for BullMQ.
          await send({ kind: 'post', channel, ...message, alert }, `alert-${cluster}-${id}-post`);
        } else {
          await send(
            { kind: 'update', channel: claim.channel, ts: claim.ts, ...message, alert },
            `alert-${cluster}-${id}-${claim.seq}`,
          );
        }
        await store.queued(cluster, id, clock().getTime());
        const dropMs = Date.parse(record.lastAt);
        if (view.blame === 'unknown' && view.stale && !Number.isNaN(dropMs))
          await store.recheckLater(cluster, id, dropMs);
        done.push(id);
      } catch (err) {
        log.warn({ err, id }, 'alert message not queued: will retry');
        await store.releaseSend(cluster, id);
        later.push(id);
      }
    }
    await store.hold(cluster, held);
    await store.doneDirty(cluster, done, leaseUntil);
    await store.markDirty(cluster, later);
  };

  const digests = async (mutesNow: readonly Mute[]): Promise<void> => {
    const closed = await store.closedWindows(cluster, clock().getTime() - timing.digestGraceMs);
    for (const start of closed) {
      if (!(await store.claimDigest(cluster, start))) continue;
      const records = await store.windowGroups(cluster, start);
      const snapshot = await clusters.read(cluster);
      const state = snapshot?.state;
      const index = state === undefined ? undefined : indexOf(state);
      const byChannel = new Map<string, { flows: { headline: string; count: number }[]; muted: number }>();
      for (const record of records) {
        const channel = channelFor(alerts, record.group);
        let entry = byChannel.get(channel);
        if (entry === undefined) byChannel.set(channel, (entry = { flows: [], muted: 0 }));
        if (mutedBy(mutesNow, record)) entry.muted++;
        else
          entry.flows.push({
            headline: alertHeadline(
              alertInput({
                record,
                state,
                index,
                windowMs: alerts.windowMs,
                ...(snapshot === undefined ? {} : { snapshotAt: snapshot.updatedAt }),
              }),
            ),
            count: record.count,
          });
      }
      for (const [channel, { flows, muted }] of byChannel) {
        if (flows.length === 0) continue;
        flows.sort((a, b) => b.count - a.count);
        const message = renderAlertDigest({
          cluster,
          windowStart: new Date(start).toISOString(),
          windowEnd: new Date(start + alerts.windowMs).toISOString(),
          flows,
          muted,
        });
        await send({ kind: 'post', channel, ...message }, `alert-digest-${cluster}-${start}-${channel}`);
      }
    }
  };

  let flushing: Promise<void> | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = async (): Promise<void> => {
    try {
      const mutesNow = await mutes.active(cluster, clock().getTime());
      await releaseHeld(mutesNow);
      await dueRechecks();
      await flushGroups();
      await digests(mutesNow);
    } catch (err) {
      if (!stopping) log.warn({ err }, 'sending drop alerts failed: will retry');
    }
  };
  const scheduleFlush = (): void => {
    if (stopping) return;
    flushTimer = setTimeout(() => {
      flushing = flush().finally(() => {
        flushing = undefined;
        scheduleFlush();
      });
    }, timing.flushEveryMs);
  };
  scheduleFlush();
  log.info({ stream, group: ALERT_CONSUMER_GROUP, windowMs: alerts.windowMs }, 'alert worker started');

  let closing: Promise<void> | undefined;
  return {
    consumer,
    stats: () => ({ ...stats }),
    close() {
      closing ??= (async () => {
        stopping = true;
        clearTimeout(flushTimer);
        // Breaks the blocking read; the batch in hand (if any) was counted or stays pending.
        reader.disconnect();
        await readLoop;
        await flushing;
        await outbox.close();
        await redis.quit().catch(() => redis.disconnect());
        log.info('alert worker stopped');
      })();
      return closing;
    },
    kill() {
      stopping = true;
      killed = true;
      clearTimeout(flushTimer);
      reader.disconnect();
      redis.disconnect();
      // Nothing to wait for: whatever it was doing is abandoned, as a crash would.
      closing ??= outbox.close().catch(() => undefined);
    },
  };
}
