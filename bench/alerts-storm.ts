/**
 * The alert pipeline under a storm (issue 10): STORM_EVENTS (default 1,000,000) drop events from
 * three simulated agents (decoded events through the agent's DropEventPublisher, 100 events per
 * stream entry, no coalescing, so the worker sees every event), one alert worker killed mid-storm
 * (holding a batch it read and never counted) and restarted under the same name, the real
 * outbound worker pacing each channel to one call a second into the Slack stand-in.
 *
 * Checked, and the run fails if not: the counts the flows' messages show in Slack add up to the
 * drops produced (none lost, none counted twice), no channel got two calls within a second, the
 * process's heap stayed under STORM_HEAP_MB (default 256; agents, worker, outbound and stand-in
 * all live in this process, so this bounds all of them), and no entry was trimmed unread by the
 * agents' MAXLEN (entries added to the stream = entries counted + entries acknowledged unread).
 *
 * The cap: the agents XADD with MAXLEN ~ STORM_MAXLEN entries (default 10,000, the agent's
 * default). An entry trimmed before a worker reads it is lost (never counted); at 100 events per
 * entry the stream holds ~1,000,000 events of backlog, at one event per entry only 10,000.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { dropStreamKey } from '../src/contracts/drop-events';
import { startRedis } from '../src/devtools/redis/redis-server';
import { ALERT_CONSUMER_GROUP, startAlertWorker, type AlertWorker } from '../src/workers/alerts/alert-worker';
import { windowOf } from '../src/workers/alerts/drop-groups';
import { BATCHED, cpuMs, runAgent, shownCounts, startSlackSide, until } from './alerts-common';

const STORM_EVENTS = Number(process.env.STORM_EVENTS ?? 1_000_000);
const STORM_MAXLEN = Number(process.env.STORM_MAXLEN ?? 10_000);
const STORM_HEAP_MB = Number(process.env.STORM_HEAP_MB ?? 256);
const FLOWS = 6;
const WINDOW_MS = 300_000;
const CHANNELS = { backend: 'C0STORMB01' };
const DEFAULT_CHANNEL = 'C0STORMD01';

export async function runStorm(out: (text: string) => void): Promise<void> {
  const redis = await startRedis();
  const client = new Redis(redis.url);
  const prefix = `storm-${randomBytes(3).toString('hex')}`;
  const stream = dropStreamKey(prefix, 'prod');
  const side = await startSlackSide(redis.url, prefix, 1000);
  const workers: AlertWorker[] = [];
  let peakHeap = 0;
  let peakRss = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 50);
  try {
    const settings = {
      cluster: 'prod',
      redisUrl: redis.url,
      prefix,
      alerts: { defaultChannel: DEFAULT_CHANNEL, channels: CHANNELS, windowMs: WINDOW_MS },
    };
    // Entries the killed worker left pending are claimed again after claimIdleMs (30 s in production).
    const timing = {
      batchSize: 100,
      blockMs: 50,
      flushEveryMs: 200,
      snapshotWaitMs: 0,
      claimIdleMs: 2000,
      claimEveryMs: 500,
    };
    const at = new Date(windowOf(Date.now(), WINDOW_MS).start + 1000);
    let held = 0;
    const ref: { first?: AlertWorker } = {};
    const first = await startAlertWorker(settings, {
      log: pino({ level: 'silent' }),
      consumer: 'storm-worker',
      timing,
      // Killed a third of the way through the storm, holding the batch it just read.
      beforeCount: async (ids) => {
        if (held === 0 && (ref.first?.stats().drops ?? 0) >= STORM_EVENTS / 3) {
          held = ids.length;
          await new Promise<void>(() => undefined);
        }
      },
    });
    ref.first = first;
    workers.push(first);
    const cpu = process.cpuUsage();
    const start = Date.now();
    const perAgent = [0, 1, 2].map((k) => Math.floor(STORM_EVENTS / 3) + (k < STORM_EVENTS % 3 ? 1 : 0));
    const agents = Promise.all(
      perAgent.map((events, k) =>
        runAgent({
          redisUrl: redis.url,
          streamKey: stream,
          maxLen: STORM_MAXLEN,
          node: `node-${k}`,
          flows: FLOWS,
          events,
          at,
          mode: BATCHED,
        }),
      ),
    );
    await until(() => (held > 0 ? true : undefined), 'the worker holding a batch mid-storm', 300_000);
    const countedBeforeKill = first.stats().drops;
    first.kill();
    const restarted = await startAlertWorker(settings, {
      log: pino({ level: 'silent' }),
      consumer: 'storm-worker',
      timing,
    });
    workers.push(restarted);
    const published = await agents;
    const produced = published.reduce((sum, a) => sum + a.published, 0);
    const agentsDone = Date.now();
    await until(
      () => (first.stats().drops + restarted.stats().drops >= produced ? true : undefined),
      'every drop counted',
      600_000,
    ).catch(() => undefined);
    const countedAt = Date.now();
    const countedCpu = cpuMs(cpu);
    // The messages catch up at one call a second per channel.
    const total = () => [
      ...shownCounts(side.slack, 'C0STORMB01'),
      ...shownCounts(side.slack, DEFAULT_CHANNEL),
    ];
    await until(
      () => (total().length === FLOWS && total().reduce((a, b) => a + b, 0) >= produced ? true : undefined),
      'the messages showing every drop',
      120_000,
    ).catch(() => undefined);
    const shownAt = Date.now();
    const shown = total().reduce((a, b) => a + b, 0);
    const info = (await client.call('XINFO', 'STREAM', stream)) as unknown[];
    const added = Number(info[info.indexOf('entries-added') + 1]);
    const pending = ((await client.xpending(stream, ALERT_CONSUMER_GROUP)) as [number])[0];
    const countedEntries = first.stats().counted + restarted.stats().counted;
    // Calls to a channel within any one second (start to start).
    let maxPerSecond = 0;
    for (const channel of ['C0STORMB01', DEFAULT_CHANNEL]) {
      const starts = side.slack.calls
        .filter((c) => c.args.channel === channel && c.method.startsWith('chat.'))
        .map((c) => c.monotonicMs);
      for (let i = 0; i < starts.length; i++) {
        let j = i;
        while (j + 1 < starts.length && starts[j + 1]! - starts[i]! < 1000) j++;
        maxPerSecond = Math.max(maxPerSecond, j - i + 1);
      }
    }
    const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
    const discarded = published.reduce((s, a) => s + a.discarded + a.failed, 0);
    out(
      `storm: ${STORM_EVENTS.toLocaleString('en-US')} drops from 3 agents (${BATCHED.name}, MAXLEN ~${STORM_MAXLEN}), ${FLOWS} flows, 2 channels; worker killed holding ${held} entries after ${countedBeforeKill.toLocaleString('en-US')} drops counted, restarted`,
    );
    out(
      `  produced ${produced.toLocaleString('en-US')} (agents discarded or failed ${discarded}), in ${added} entries; agents done in ${((agentsDone - start) / 1000).toFixed(1)} s`,
    );
    out(
      `  counted  ${(first.stats().drops + restarted.stats().drops).toLocaleString('en-US')} in ${((countedAt - start) / 1000).toFixed(1)} s (${Math.round(produced / ((countedAt - start) / 1000)).toLocaleString('en-US')} drops/s, ${((countedCpu * 1000) / produced).toFixed(2)} µs CPU/drop for the whole process), ${restarted.stats().reclaimed} entries reclaimed`,
    );
    out(
      `  Slack shows ${shown.toLocaleString('en-US')} (lost ${Math.max(0, produced - shown)}, counted twice ${Math.max(0, shown - produced)}) ${((shownAt - countedAt) / 1000).toFixed(1)} s after the last count; ${side.slack.calls.length} Slack calls, at most ${maxPerSecond} per second per channel`,
    );
    out(
      `  entries added ${added}, counted ${countedEntries}, pending ${pending}, trimmed unread ${added - countedEntries - pending}`,
    );
    out(`  peak heap ${mb(peakHeap)} MB, peak RSS ${mb(peakRss)} MB (bound ${STORM_HEAP_MB} MB heap)`);
    const failures = [
      shown !== produced && `Slack shows ${shown}, produced ${produced}`,
      discarded > 0 && `agents discarded or failed ${discarded}`,
      maxPerSecond > 1 && `${maxPerSecond} calls in one second to a channel`,
      peakHeap > STORM_HEAP_MB * 1024 * 1024 && `peak heap ${mb(peakHeap)} MB over ${STORM_HEAP_MB} MB`,
      added - countedEntries - pending !== 0 && `${added - countedEntries - pending} entries trimmed unread`,
    ].filter((f): f is string => typeof f === 'string');
    if (failures.length > 0) throw new Error(`storm failed: ${failures.join('; ')}`);
    out('  storm: PASS');
  } finally {
    clearInterval(sampler);
    for (const w of workers) await w.close().catch(() => undefined);
    await side.close();
    client.disconnect();
    await redis.stop();
  }
}

if (require.main === module)
  void runStorm((text) => process.stdout.write(`${text}\n`)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`storm failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
