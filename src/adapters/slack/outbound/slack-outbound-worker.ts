/**
 * The consumer of SLACK_OUTBOUND_QUEUE: the only code that posts to Slack. One instance, in the bot
 * process, concurrency 1 (the pacing state in ChannelPacer is this process's memory).
 *
 * Per job: pace (channel-pacer.ts: a job too early for its channel is parked in BullMQ's delayed set
 * with `moveToDelayed` + DelayedError, so other channels go on), call Slack (deliver.ts), then
 * `onPosted`. Failures (slack-errors.ts):
 * - 429: the whole queue is rate-limited for Retry-After (`SlackOutbox.rateLimit` +
 *   `Worker.RateLimitError`): the job goes back to the head of the wait list, no attempt is used,
 *   nothing else is sent meanwhile.
 * - permanent (`channel_not_found`, `invalid_blocks`, `invalid_auth`, ...): UnrecoverableError, the job
 *   is logged and kept in the failed set; later jobs are not held up.
 * - transient (5xx, network, timeout): thrown, BullMQ retries with RETRY_POLICY's backoff. While a job
 *   waits for its retry, later messages of its channel may go first.
 *
 * Approval cards converge on the request's current state (level-based, like a reconcile): an
 * `update` job with `cardFor` is re-rendered by `currentCard` from the request's record at the moment
 * it is sent (after pacing, so a parked or retried job renders late, not stale). Jobs are sent one at
 * a time, and every state change enqueues its update after the change is stored, so the last
 * chat.update to reach a card renders the latest state, even when an older update is delivered after
 * a newer one. The other half, a state change made before the card's ts was recorded (its update
 * could not be addressed), is the `onPosted` hook's: it re-renders the card once the ts is known
 * (src/bot/approval-card.ts).
 *
 * Delivery is at least once: a delivered job records `{ delivered }` in its progress before
 * `onPosted` runs, so a failing hook is retried without posting again; only a crash between Slack's
 * answer and that record re-posts.
 *
 * The WebClient must fail fast (createSlackWebClient): `rejectRateLimitedCalls: true` and
 * `retryConfig: { retries: 0 }`, or a 429 or 5xx is retried inside WebClient, invisible to the queue.
 * Logs carry channel, kind and jobId, never the token or WebClient's error objects.
 */
import { ConnectionOptions, DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { SLACK_OUTBOUND_QUEUE, SlackOutboundJob } from '../../../contracts/queues';
import { ChannelPacer } from './channel-pacer';
import { deliver, SlackDelivered } from './deliver';
import { classifySlackError, SlackOutboundError, type SlackFailure } from './slack-errors';
import type { SlackOutbox } from './slack-outbox';

export interface SlackOutboundWorkerOptions {
  /** ioredis options or instance; an instance needs `maxRetriesPerRequest: null` (BullMQ workers do). */
  connection: ConnectionOptions;
  /** The same prefix as `outbox`'s. */
  prefix?: string;
  /**
   * The process's producer handle on the same queue, used to pause it on a 429 (BullMQ 5 deprecates
   * `Worker.rateLimit` for `Queue.rateLimit`). Owned and closed by the caller.
   */
  outbox: Pick<SlackOutbox, 'rateLimit'>;
  /** Built by createSlackWebClient (fail fast on 429 and 5xx). */
  client: WebClient;
  /** Spacing of calls to one channel; default 1000 ms (Slack: about one message a second). */
  perChannelIntervalMs?: number;
  /** After a post or an update landed (not after an ephemeral). Failing retries the hook, not the post. */
  onPosted?: (job: SlackOutboundJob, result: SlackDelivered) => Promise<void>;
  /**
   * The approval card of a request as it reads now (where it is, text and blocks), for `update` jobs
   * with `cardFor`; undefined when there is nothing to render (the request is gone, or its card's ts
   * is not recorded yet): the job's own content is sent. A throw is retried like a Slack outage.
   */
  currentCard?: (requestId: string) => Promise<CurrentCard | undefined>;
  log: Logger;
  /** Told of every Web API call and how it ended (the bot's metrics count calls and 429s). */
  onCall?: (call: SlackCall) => void;
  /** Epoch milliseconds; default Date.now. BullMQ's delayed set is on the same clock. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** One Web API call made for a job: its method and how it ended (slack-errors.ts's kinds). */
export interface SlackCall {
  /** A file's upload counts once, as its last call (files.completeUploadExternal). */
  method: 'chat.postMessage' | 'chat.update' | 'chat.postEphemeral' | 'files.completeUploadExternal';
  outcome: 'ok' | 'rate_limited' | 'refused' | 'unavailable';
}

const METHOD_OF: Record<SlackOutboundJob['kind'], SlackCall['method']> = {
  post: 'chat.postMessage',
  update: 'chat.update',
  ephemeral: 'chat.postEphemeral',
};

function methodOf(job: SlackOutboundJob): SlackCall['method'] {
  return job.kind === 'post' && job.file !== undefined ? 'files.completeUploadExternal' : METHOD_OF[job.kind];
}

const OUTCOME_OF: Record<SlackFailure['kind'], SlackCall['outcome']> = {
  'rate-limited': 'rate_limited',
  permanent: 'refused',
  transient: 'unavailable',
};

/** An approval card rendered from its request's current record. */
export interface CurrentCard {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
}

export interface SlackOutboundWorker {
  /** Finishes the job in hand (at most one pacing interval plus one Slack call), then stops. */
  close(): Promise<void>;
}

type OutboundJob = Job<SlackOutboundJob, void, SlackOutboundJob['kind']>;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function startSlackOutboundWorker(options: SlackOutboundWorkerOptions): SlackOutboundWorker {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const log = options.log.child({ component: 'slack-outbound' });
  const pacer = new ChannelPacer({ intervalMs: options.perChannelIntervalMs ?? 1000 });
  const prefix = options.prefix !== undefined ? { prefix: options.prefix } : {};

  const processJob = async (job: OutboundJob, token?: string): Promise<void> => {
    const data = job.data;
    const jobId = job.id ?? '';
    const jobLog = log.child({ jobId, kind: data.kind, channel: data.channel });
    const delivered = deliveredFrom(job.progress) ?? (await callSlack(job, jobId, token, jobLog));
    // An ephemeral message or a shared file has no ts to hook on.
    if (
      options.onPosted === undefined ||
      data.kind === 'ephemeral' ||
      (data.kind === 'post' && data.file !== undefined)
    )
      return;
    try {
      await options.onPosted(data, delivered);
    } catch (err) {
      jobLog.warn(
        { err, attemptsMade: job.attemptsMade },
        'onPosted failed: will retry the hook, not the post',
      );
      throw new SlackOutboundError('E_SLACK_HOOK', 'onPosted failed', { cause: err });
    }
  };

  const callSlack = async (
    job: OutboundJob,
    jobId: string,
    token: string | undefined,
    jobLog: Logger,
  ): Promise<SlackDelivered> => {
    const data = job.data;
    for (;;) {
      const decision = pacer.decide(jobId, data.channel, clock());
      if (decision.action === 'send') break;
      if (decision.action === 'wait') {
        await sleep(decision.ms);
        continue;
      }
      jobLog.debug({ until: decision.until }, 'slack message parked for channel pacing');
      try {
        await job.moveToDelayed(Math.ceil(decision.until), token);
      } catch (err) {
        pacer.release(jobId);
        throw err;
      }
      throw new DelayedError();
    }
    let message: SlackOutboundJob;
    try {
      message = await renderedAtDelivery(data);
    } catch (err) {
      pacer.release(jobId);
      // Not Slack's failure: the store's own typed error, retried with the queue's backoff.
      jobLog.warn({ err, cardFor: cardOf(data) }, 'approval card not rendered: will retry');
      throw err;
    }
    let delivered: SlackDelivered;
    try {
      delivered = await deliver(options.client, message);
    } catch (err) {
      pacer.called(data.channel, clock());
      const failure = classifySlackError(err);
      options.onCall?.({ method: methodOf(data), outcome: OUTCOME_OF[failure.kind] });
      if (failure.kind === 'rate-limited') {
        // The job keeps its slot: it is back at the head of the wait list when the pause ends.
        jobLog.warn({ retryAfterMs: failure.retryAfterMs }, 'slack rate limited: pausing the outbound queue');
        await options.outbox.rateLimit(failure.retryAfterMs);
        throw Worker.RateLimitError();
      }
      pacer.release(jobId);
      if (failure.kind === 'permanent') {
        jobLog.error(
          { slackError: failure.slackError, job: summary(data) },
          'slack refused the message: dropped',
        );
        throw new UnrecoverableError(`E_SLACK_REFUSED: slack refused the message: ${failure.slackError}`);
      }
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      jobLog[lastAttempt ? 'error' : 'warn'](
        {
          slackError: failure.slackError,
          statusCode: failure.statusCode,
          attemptsMade: job.attemptsMade + 1,
          ...(lastAttempt ? { job: summary(data) } : {}),
        },
        lastAttempt ? 'slack unavailable: message dropped after retries' : 'slack unavailable: will retry',
      );
      throw new SlackOutboundError('E_SLACK_UNAVAILABLE', `slack unavailable: ${failure.slackError}`, {
        slackError: failure.slackError,
        cause: err,
      });
    }
    pacer.called(data.channel, clock());
    pacer.release(jobId);
    options.onCall?.({ method: methodOf(data), outcome: 'ok' });
    await job.updateProgress({ delivered });
    jobLog.info({ ts: delivered.ts }, 'slack message delivered');
    return delivered;
  };

  /** The job as it should be sent now: a card update carries the card's current rendering. */
  const renderedAtDelivery = async (data: SlackOutboundJob): Promise<SlackOutboundJob> => {
    if (data.kind !== 'update' || data.cardFor === undefined || options.currentCard === undefined)
      return data;
    const card = await options.currentCard(data.cardFor);
    return card === undefined ? data : { ...data, ...card };
  };

  const worker = new Worker<SlackOutboundJob, void, SlackOutboundJob['kind']>(
    SLACK_OUTBOUND_QUEUE,
    processJob,
    {
      connection: options.connection,
      ...prefix,
      concurrency: 1,
    },
  );
  worker.on('error', (err: Error) => log.error({ err }, 'slack outbound worker error'));

  return {
    async close() {
      await worker.close();
    },
  };
}

function cardOf(job: SlackOutboundJob): string | undefined {
  return job.kind === 'update' ? job.cardFor : undefined;
}

function deliveredFrom(progress: unknown): SlackDelivered | undefined {
  if (typeof progress !== 'object' || progress === null) return undefined;
  const d = (progress as { delivered?: { channel?: unknown; ts?: unknown } }).delivered;
  return typeof d?.channel === 'string' && typeof d.ts === 'string'
    ? { channel: d.channel, ts: d.ts }
    : undefined;
}

/** The job as logged when it is dropped: enough to resend it by hand, without the blocks. */
function summary(job: SlackOutboundJob): Record<string, unknown> {
  const file = job.kind === 'post' && job.file !== undefined ? { file: job.file.filename } : {};
  return { ...job, blocks: job.blocks?.length ?? 0, ...file };
}
