/**
 * Recovers approvals whose job was lost: on start and every `intervalMs`, every request of this
 * cluster in `approved` or `applying` must have a live apply job. It enqueues one when there is none
 * (the bot crashed between the decision and the enqueue), and puts back one that BullMQ finished
 * while the request was still in flight (a job failed for stalling too often after workers died,
 * which runs none of netpol's code). Harmless otherwise: the job id is derived from the request, so
 * BullMQ ignores a duplicate, and the processor does nothing for a request that is already done.
 *
 * Lifecycle: `start()` runs a pass at once and then on a timer; `stop()` clears the timer and waits
 * for a pass in flight. One pass at a time; several workers of a cluster may each run one, which is
 * safe for the same reasons.
 */
import type { Job, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { applyJobId, applyJobOptions, type ApplyJob } from '../contracts/queues';
import type { RequestRecord } from '../contracts/request-record';
import type { RequestStoreApi } from '../adapters/redis/request-store-api';

export interface ReconcilerOptions {
  store: Pick<RequestStoreApi, 'listByState'>;
  queue: Pick<Queue<ApplyJob>, 'add' | 'getJob'>;
  cluster: string;
  intervalMs: number;
  log: Logger;
}

export interface ReconcileResult {
  /** Requests in flight that were looked at. */
  checked: number;
  /** Jobs added or put back. */
  enqueued: number;
}

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<ReconcileResult> | undefined;
  private stopped = true;

  constructor(private readonly options: ReconcilerOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.pass?.catch(() => undefined);
  }

  /** One pass; concurrent calls share the pass in flight. */
  runOnce(): Promise<ReconcileResult> {
    this.pass ??= this.reconcile().finally(() => {
      this.pass = undefined;
    });
    return this.pass;
  }

  private tick(): void {
    this.runOnce()
      .catch((error: unknown) => this.options.log.error({ err: error }, 'reconcile pass failed'))
      .finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.tick();
        }, this.options.intervalMs);
      });
  }

  private async reconcile(): Promise<ReconcileResult> {
    const { store, cluster, log } = this.options;
    const records = await store.listByState(['approved', 'applying'], { cluster });
    let enqueued = 0;
    for (const record of records) {
      if (await this.ensureJob(record)) enqueued++;
    }
    if (enqueued > 0) log.info({ checked: records.length, enqueued }, 'reconcile enqueued lost apply jobs');
    else log.debug({ checked: records.length }, 'reconcile found nothing lost');
    return { checked: records.length, enqueued };
  }

  private async ensureJob(record: RequestRecord): Promise<boolean> {
    const { queue, log } = this.options;
    const jobId = applyJobId(record.id);
    const existing = (await queue.getJob(jobId)) as Job<ApplyJob> | undefined;
    const state = existing === undefined ? 'missing' : await existing.getState();
    if (existing !== undefined && state !== 'completed' && state !== 'failed' && state !== 'unknown') {
      return false;
    }
    if (existing !== undefined && state === 'failed') {
      log.warn(
        { requestId: record.id, jobId, state: record.state },
        'apply job failed while request in flight; retrying it',
      );
      // A fresh set of attempts: the earlier ones may all have been spent on stalls.
      await existing.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return true;
    }
    if (existing !== undefined && state === 'completed') await existing.remove();
    const data: ApplyJob = { requestId: record.id, cluster: record.cluster, policyHash: record.policyHash };
    await queue.add('apply', data, applyJobOptions(record.id));
    log.info({ requestId: record.id, jobId, state: record.state, previous: state }, 'apply job enqueued');
    return true;
  }
}
