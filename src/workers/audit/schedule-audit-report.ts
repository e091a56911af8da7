/**
 * Schedules a request's audit report (issue 10) on the cluster's audit-report queue, with the
 * baseline of its would-block flows: what the flow store already counted for them, seen before the
 * approval (an earlier audit of the same policy names, whose flows share this one's ids), which the
 * report subtracts. Taken once: a second scheduling (an apply job re-run) adds a job with the same id,
 * which BullMQ ignores, so the first baseline stands.
 *
 * Counts an agent adds to such an older flow between the approval and this call (the apply's few
 * writes) land in the baseline and are not reported: the store keeps totals, not their history.
 */
import type { Queue } from 'bullmq';
import { auditReportJobOptions, type AuditReportJob } from '../../contracts/queues';
import type { FlowStore } from '../../adapters/redis/flow-store';
import type { RequestStoreApi } from '../../adapters/redis/request-store-api';
import { auditFlowsOf } from './audit-flows';
import { auditPoliciesOf, auditStart, policyKey } from './audit-window';
import { auditBaseline } from './would-block';

export interface AuditReportSchedulerDeps {
  store: Pick<RequestStoreApi, 'get'>;
  flows: Pick<FlowStore, 'list'>;
  queue: Pick<Queue<AuditReportJob>, 'add'>;
  clock: () => Date;
}

export function createAuditReportScheduler(
  deps: AuditReportSchedulerDeps,
): (job: AuditReportJob, delayMs: number) => Promise<void> {
  return async function scheduleAuditReport(job, delayMs) {
    const record = await deps.store.get(job.requestId);
    const since = record === undefined ? undefined : auditStart(record);
    const baseline =
      record === undefined || since === undefined
        ? []
        : auditBaseline(await auditFlowsOf(deps.flows, record, deps.clock()), {
            policies: new Set(auditPoliciesOf(record).map(policyKey)),
            since,
          });
    await deps.queue.add('audit-report', { ...job, baseline }, auditReportJobOptions(job.requestId, delayMs));
  };
}
