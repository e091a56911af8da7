/**
 * The BullMQ processor of a cluster's apply queue: takes an approved request to `applied` (or
 * `failed`), doing exactly what was approved and nothing else.
 *
 * Level-based and idempotent (STYLE.md): the job carries only the request id and the approved hash;
 * the desired objects come from the record, and applying them is server-side apply with one field
 * manager, so running a job twice, or again after a worker died mid-job (BullMQ hands a stalled job
 * to another worker), changes nothing the second time. A request already `applied` is left alone.
 *
 * Retry is explicit: a permanent failure (403, 404 namespace, 422, a policy netpol does not own, a
 * hash that differs from the approved one) marks the request failed, tells the thread and throws
 * UnrecoverableError so BullMQ stops; anything else is audited as `apply-retry` and rethrown so BullMQ
 * backs off, and on the last attempt the request is marked failed before the rethrow.
 *
 * Concurrency: jobs for different requests may run at once; one request has one job id, so BullMQ
 * runs at most one job for it at a time. Every state change is a guarded store transition.
 *
 * Audit mode (issue 10): once a request whose policies carry `netpol.io/audit` is applied, its report
 * is scheduled, due when the audit window ends (audit/audit-window.ts). A job for a request already
 * applied schedules it again (a worker may have died between the two steps): its job id, derived
 * from the request, makes that a no-op when it is already there.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { CodeOf } from '../core/error-catalogue';
import type { NetworkPolicy } from '../core/k8s/types';
import { isManagedByNetpol, provenanceMetadata } from '../core/policy/provenance';
import type { ApplyJob, AuditReportJob, SlackOutboundJob } from '../contracts/queues';
import { policyHash } from '../contracts/policy-hash';
import type { RequestRecord, RequestState } from '../contracts/request-record';
import type { RequestYaml } from '../contracts/request-yaml';
import type { RequestStoreApi } from '../adapters/redis/request-store-api';
import { isKubeApiError, toKubeApiError } from '../adapters/kube/kube-api-error';
import type { PolicyApi } from '../adapters/kube/kube-client';
import { outcomeJobs, type Outcome } from './outcome-message';
import { auditReportDue } from './audit/audit-window';

export interface ApplyProcessorDeps {
  store: RequestStoreApi;
  policies: PolicyApi;
  /** Enqueues a Slack message (SLACK_OUTBOUND_QUEUE); never posts itself. */
  notify: (job: SlackOutboundJob) => Promise<void>;
  /** The cluster this worker holds credentials for. */
  cluster: string;
  fieldManager: string;
  clock: () => Date;
  log: Logger;
  /** Checks the stored YAML the outcome card shows (default: this process's, processRequestYaml). */
  requestYaml?: RequestYaml;
  /**
   * Schedules a request's audit report (issue 10), `delayMs` from now, idempotently (the job id is
   * the request's). Without it, audit-mode requests are applied and no report is scheduled.
   */
  scheduleAuditReport?: (job: AuditReportJob, delayMs: number) => Promise<void>;
}

export type ApplyProcessor = (job: Job<ApplyJob>) => Promise<void>;

/** A refusal by netpol itself: never retried. */
export class ApplyRefusal extends Error {
  readonly code: CodeOf<'ApplyRefusal'>;

  constructor(code: CodeOf<'ApplyRefusal'>, message: string) {
    super(message);
    this.name = 'ApplyRefusal';
    this.code = code;
  }
}

const WORKABLE: RequestState[] = ['approved', 'applying'];

const HASH_MISMATCH =
  'the policies differ from the ones that were approved (hash mismatch); nothing was applied';

/**
 * The approved objects with netpol's provenance added (approver, requester, request id): metadata
 * only, the spec is the approved one, untouched.
 */
export function desiredPolicy(record: RequestRecord, policy: NetworkPolicy): NetworkPolicy {
  const provenance = provenanceMetadata(record.command, {
    requestId: record.id,
    requester: record.requester,
    approver: record.decidedBy,
    cluster: record.cluster,
  });
  return {
    apiVersion: policy.apiVersion,
    kind: policy.kind,
    metadata: {
      name: policy.metadata.name,
      namespace: policy.metadata.namespace,
      labels: { ...policy.metadata.labels, ...provenance.labels },
      annotations: { ...policy.metadata.annotations, ...provenance.annotations },
    },
    spec: policy.spec,
  };
}

export function createApplyProcessor(deps: ApplyProcessorDeps): ApplyProcessor {
  const actor = `worker:${deps.cluster}`;
  const now = (): string => deps.clock().toISOString();

  async function tell(record: RequestRecord, outcome: Outcome, log: Logger): Promise<void> {
    try {
      for (const job of outcomeJobs(record, now(), deps.requestYaml)) await deps.notify(job);
    } catch (error) {
      // The request's state is already recorded; a lost message must not undo or repeat the work.
      log.error({ err: error, outcome: outcome.kind }, 'outcome message not enqueued');
    }
  }

  /**
   * An applied request in audit mode: its report, due when the window ends (counted from appliedAt,
   * so a late re-run does not push it back). Throws when it cannot be scheduled: BullMQ retries the
   * apply job, which finds the request applied and schedules again.
   */
  async function scheduleAuditReport(record: RequestRecord, log: Logger): Promise<void> {
    const due = auditReportDue(record);
    if (due.kind === 'none') return;
    if (due.kind === 'not-a-duration') {
      log.warn(
        { windows: due.windows },
        'audit window is not a duration (e.g. 90s, 30m, 1h, 2d): policies stay in audit mode, no report is scheduled',
      );
      return;
    }
    if (deps.scheduleAuditReport === undefined) return;
    const appliedAt = Date.parse(record.appliedAt ?? now());
    const delayMs = Math.max(0, appliedAt + due.windowMs - deps.clock().getTime());
    await deps.scheduleAuditReport({ requestId: record.id, cluster: record.cluster }, delayMs);
    log.info({ window: due.window, delayMs }, 'audit report scheduled');
  }

  /** Marks the request failed (if it still is in flight), audits, tells the thread. */
  async function fail(
    record: RequestRecord,
    outcome: Extract<Outcome, { kind: 'failed' | 'refused' }>,
    log: Logger,
  ): Promise<void> {
    const result = await deps.store.transition(record.id, {
      from: WORKABLE,
      to: 'failed',
      actor,
      action: outcome.kind === 'refused' ? 'refused' : 'failed',
      now: now(),
      detail: outcome.reason,
      fields: { reason: outcome.reason },
    });
    if (!result.ok) {
      log.warn({ state: result.record?.state }, 'request left flight before it could be marked failed');
      return;
    }
    log.warn({ reason: outcome.reason, outcome: outcome.kind }, 'request failed');
    await tell(result.record, outcome, log);
  }

  /**
   * true (and the request marked failed, audited as refused, the thread told) when the policies of
   * `record`, which are what would be applied, do not hash to the approved hash the job carries, or
   * the record's own hash is not that one.
   */
  async function refusedForHash(record: RequestRecord, job: ApplyJob, log: Logger): Promise<boolean> {
    const recomputed = policyHash(record.policies);
    if (job.policyHash === record.policyHash && recomputed === record.policyHash) return false;
    log.error(
      { approvedHash: job.policyHash, recordHash: record.policyHash, storedHash: recomputed },
      'policy hash mismatch',
    );
    await fail(record, { kind: 'refused', reason: HASH_MISMATCH }, log);
    return true;
  }

  async function applyAll(record: RequestRecord, log: Logger): Promise<void> {
    // Check every object before writing any, so a refusal leaves the cluster as it was.
    for (const policy of record.policies) {
      const existing = await deps.policies.get(policy.metadata.namespace, policy.metadata.name);
      if (existing !== undefined && !isManagedByNetpol(existing)) {
        throw new ApplyRefusal(
          'E_NOT_OWNED',
          `NetworkPolicy ${policy.metadata.namespace}/${policy.metadata.name} exists and is not managed by netpol; it was left untouched`,
        );
      }
    }
    for (const policy of applyOrder(record.policies)) {
      const applied = await deps.policies.apply(desiredPolicy(record, policy), deps.fieldManager);
      log.info(
        {
          namespace: policy.metadata.namespace,
          policy: policy.metadata.name,
          resourceVersion: applied.metadata.resourceVersion,
        },
        'policy applied',
      );
    }
  }

  async function revokeAll(record: RequestRecord, log: Logger): Promise<void> {
    const present: NetworkPolicy[] = [];
    for (const policy of record.policies) {
      const existing = await deps.policies.get(policy.metadata.namespace, policy.metadata.name);
      if (existing === undefined) continue;
      if (!isManagedByNetpol(existing)) {
        throw new ApplyRefusal(
          'E_NOT_OWNED',
          `NetworkPolicy ${policy.metadata.namespace}/${policy.metadata.name} is not managed by netpol; netpol does not delete it`,
        );
      }
      present.push(policy);
    }
    for (const policy of present) {
      const deleted = await deps.policies.delete(policy.metadata.namespace, policy.metadata.name);
      log.info(
        { namespace: policy.metadata.namespace, policy: policy.metadata.name, deleted },
        'policy removed',
      );
    }
  }

  return async function processApplyJob(job: Job<ApplyJob>): Promise<void> {
    const { requestId } = job.data;
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    const log = deps.log.child({ jobId: job.id, requestId, attempt });

    const record = await deps.store.get(requestId);
    // The job, and the request itself, must be of this worker's cluster: a misrouted job never
    // applies here, and the request it carries fails with why, on its card (issue 11).
    const foreign = [job.data.cluster, record?.cluster].find(
      (cluster) => cluster !== undefined && cluster !== deps.cluster,
    );
    if (foreign !== undefined) {
      const reason = `the apply job for cluster ${foreign} reached the worker of cluster ${deps.cluster}; nothing was applied`;
      log.error({ jobCluster: job.data.cluster, requestCluster: record?.cluster }, 'job for another cluster');
      if (record !== undefined && WORKABLE.includes(record.state))
        await fail(record, { kind: 'refused', reason }, log);
      throw new UnrecoverableError(reason);
    }
    if (record === undefined) {
      log.error('request not found');
      throw new UnrecoverableError(`request ${requestId} not found`);
    }
    if (record.state === 'applied') {
      log.info('request already applied');
      await scheduleAuditReport(record, log);
      return;
    }
    if (!WORKABLE.includes(record.state)) {
      log.info({ state: record.state }, 'request not approved; nothing to do');
      return;
    }

    // The approval covers exactly what was shown: the hash the approver saw, of these very objects.
    // Checked here (nothing starts for a changed record) and again on the record the transition
    // returns, which is what is applied: a write between this read and that step is caught too.
    if (await refusedForHash(record, job.data, log)) throw new UnrecoverableError(HASH_MISMATCH);

    const started = await deps.store.transition(requestId, {
      from: WORKABLE,
      to: 'applying',
      actor,
      action: 'apply-started',
      now: now(),
      fields: { attempts: attempt },
    });
    if (!started.ok) {
      log.info({ state: started.record?.state }, 'request changed state before the apply; nothing to do');
      return;
    }
    const current = started.record;
    if (await refusedForHash(current, job.data, log)) throw new UnrecoverableError(HASH_MISMATCH);

    try {
      if (current.action === 'revoke') await revokeAll(current, log);
      else await applyAll(current, log);
    } catch (error) {
      if (error instanceof ApplyRefusal) {
        await fail(current, { kind: 'refused', reason: error.message }, log);
        throw new UnrecoverableError(error.message);
      }
      const failure = isKubeApiError(error) ? error : toKubeApiError(error);
      const reason = `${failure.reason}: ${failure.message}`;
      if (failure.permanent) {
        await fail(current, { kind: 'failed', reason }, log);
        throw new UnrecoverableError(reason);
      }
      if (attempt >= attempts) {
        await fail(current, { kind: 'failed', reason: `${reason} (gave up after ${attempt} attempts)` }, log);
        throw failure;
      }
      log.warn({ status: failure.status, reason: failure.reason, attempts }, 'apply failed; will retry');
      await deps.store.transition(requestId, {
        from: ['applying'],
        to: 'applying',
        actor,
        action: 'apply-retry',
        now: now(),
        detail: reason,
      });
      throw failure;
    }

    const appliedAt = now();
    const done = await deps.store.transition(requestId, {
      from: ['applying'],
      to: 'applied',
      actor,
      action: 'applied',
      now: appliedAt,
      fields: { appliedAt },
    });
    if (!done.ok) {
      log.warn({ state: done.record?.state }, 'request left applying before it could be marked applied');
      return;
    }
    log.info({ action: current.action, policies: current.policies.length }, 'request applied');
    await tell(done.record, { kind: 'applied' }, log);
    await scheduleAuditReport(done.record, log);
  };
}

/**
 * The order a request's policies are written in: those that admit some traffic first, then those
 * that only isolate (no rule in any of their directions, e.g. `deny all in backend`). Each write is
 * enforced as it lands, so a deny-all written first would drop, until the allows follow, traffic
 * the request as a whole allows (a suggestion is "deny all" plus an allow per observed flow).
 * Stable within each group; the set written is the same.
 */
export function applyOrder(policies: readonly NetworkPolicy[]): NetworkPolicy[] {
  const admitsSomething = (policy: NetworkPolicy): boolean =>
    (policy.spec.ingress?.length ?? 0) > 0 || (policy.spec.egress?.length ?? 0) > 0;
  return [...policies.filter(admitsSomething), ...policies.filter((p) => !admitsSomething(p))];
}
