/**
 * `netpol status`: what `/netpol status` answers in Slack, in the terminal, read from the Redis the
 * bot and the workers share (adapters/redis/heartbeat-status.ts; rendered by render/status.ts as
 * plain text). Redis: --redis URL, else the bot's REDIS_URL, else redis://127.0.0.1:6379; key prefix:
 * --prefix, else NETPOL_PREFIX, else netpol. The clusters are those that report (heartbeats,
 * snapshots) plus any named with --cluster (each listed even when nothing of it reports).
 *
 * Exit status 0 when everything reports, 3 when something does not (Redis, a cluster without a live
 * worker, a node agent out of sync), so a script or a probe can act on it.
 */
import Redis from 'ioredis';
import { readStatus, type StatusReport } from '../adapters/redis/heartbeat-status';
import { statusText } from '../adapters/slack/render/status';
import { isSilent } from '../contracts/heartbeat';
import type { CliIo } from './cli-io';
import { outputOption, parseOptions } from './options';

/** The exit status when something does not report. */
export const STATUS_UNHEALTHY = 3;

function healthy(report: StatusReport): boolean {
  const now = new Date(report.at);
  return (
    report.redis.ok &&
    report.clusters.every(
      (c) =>
        c.liveness.workerAlive &&
        c.agents.every((a) => a.inSync && a.stoppedAt === undefined && !isSilent(a, now)),
    )
  );
}

export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseOptions(
    args,
    {
      redis: { type: 'string' },
      prefix: { type: 'string' },
      cluster: { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
    },
    0,
  );
  const env = io.env ?? {};
  const output = outputOption(values.output, ['text', 'json'] as const, 'text');
  const url = values.redis ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  // Fail fast: a CLI reports Redis down instead of waiting for it to come back.
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The connection's own error says why (ECONNREFUSED, ENOTFOUND); the rejection only that it closed.
  let connectionError: Error | undefined;
  redis.on('error', (error: Error) => {
    connectionError ??= error;
  });
  try {
    let report: StatusReport;
    try {
      await redis.connect();
      report = await readStatus({
        redis,
        prefix: values.prefix ?? env.NETPOL_PREFIX ?? 'netpol',
        clusters: values.cluster ?? [],
      });
    } catch (error) {
      report = {
        at: new Date().toISOString(),
        prefix: values.prefix ?? env.NETPOL_PREFIX ?? 'netpol',
        redis: { ok: false, error: `${redactedUrl(url)}: ${(connectionError ?? (error as Error)).message}` },
        queues: [],
        clusters: [],
      };
    }
    io.stdout(output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : statusText(report));
    return healthy(report) ? 0 : STATUS_UNHEALTHY;
  } finally {
    redis.disconnect();
  }
}

/** The URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the Redis URL';
  }
}
