/**
 * The audit report processor (issue 10): the delayed job (contracts/queues.ts, AuditReportJob)
 * scheduled by the apply processor runs when a request's audit window ends. It reads where each of
 * the request's audit policies stands now (still in audit mode, enforced, deleted), the agents'
 * 'would-block' flows naming them (the flow store, per namespace of the policies) seen since the
 * approval, less what the store had counted for them before it (the job's baseline); with none,
 * whether a node agent watched at all (its heartbeat since the approval), and posts ONE message in the request's thread (its approval message's) through the
 * outbound queue, with the Enforce button.
 *
 * Once: the job id is derived from the request, and the message's outbound job id too, so a report
 * job re-run after a crash (stalled, retried) posts nothing twice. A report of a request gone from
 * the store is dropped with a log line: there is no thread left to post in.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { auditModeOf } from '../../core/k8s/audit-mode';
import type { AuditReportJob, SlackOutboundJob } from '../../contracts/queues';
import type { RequestRecord } from '../../contracts/request-record';
import type { FlowStore } from '../../adapters/redis/flow-store';
import type { HeartbeatStore } from '../../adapters/redis/heartbeat-store';
import type { RequestStoreApi } from '../../adapters/redis/request-store-api';
import type { PolicyApi } from '../../adapters/kube/kube-client';
import { renderAuditReport, type AuditReportInput } from '../../adapters/slack/render/audit-report';
import { auditFlowsOf } from './audit-flows';
import { auditPoliciesOf, auditReportDue, auditStart, policyKey } from './audit-window';
import { wouldBlock } from './would-block';

export interface AuditReportDeps {
  store: Pick<RequestStoreApi, 'get'>;
  flows: Pick<FlowStore, 'list'>;
  /** The cluster's heartbeats: whether a node agent watched the window (none: no flow proves nothing). */
  heartbeats: Pick<HeartbeatStore, 'list'>;
  policies: Pick<PolicyApi, 'get'>;
  /** Enqueues a Slack message on the outbound queue, with its job id (never posts itself). */
  send: (job: SlackOutboundJob, options: { jobId: string }) => Promise<void>;
  cluster: string;
  clock: () => Date;
  log: Logger;
}

export type AuditReportProcessor = (job: Job<AuditReportJob>) => Promise<void>;

/** The outbound job id of a request's report: one message, whatever re-runs. */
export function auditReportMessageId(requestId: string): string {
  return `audit-report-${requestId}`;
}

export function createAuditReportProcessor(deps: AuditReportDeps): AuditReportProcessor {
  async function standing(record: RequestRecord): Promise<AuditReportInput['policies']> {
    const out: AuditReportInput['policies'] = [];
    for (const policy of auditPoliciesOf(record)) {
      const live = await deps.policies.get(policy.metadata.namespace, policy.metadata.name);
      const state =
        live === undefined
          ? 'deleted'
          : auditModeOf(live.metadata.annotations) === undefined
            ? 'enforced'
            : 'audit';
      out.push({ key: policyKey(policy), state });
    }
    return out;
  }

  /**
   * Whether a node agent of the cluster beat since the audit began: an agent keeps one heartbeat, its
   * last, so one at or after the start was running during the window. None means no agent was
   * deployed, or all stopped long enough ago to be forgotten: nothing watched.
   */
  async function agentReportedSince(cluster: string, since: string): Promise<boolean> {
    const start = Date.parse(since);
    const beats = await deps.heartbeats.list(cluster);
    return beats.some((beat) => beat.kind === 'agent' && Date.parse(beat.at) >= start);
  }

  return async function processAuditReport(job: Job<AuditReportJob>): Promise<void> {
    const { requestId } = job.data;
    const log = deps.log.child({ jobId: job.id, requestId });
    if (job.data.cluster !== deps.cluster)
      throw new UnrecoverableError(
        `the audit report of cluster ${job.data.cluster} reached the worker of cluster ${deps.cluster}`,
      );
    const record = await deps.store.get(requestId);
    if (record === undefined) {
      log.warn('audit report due for a request that is no longer stored; nothing posted');
      return;
    }
    const due = auditReportDue(record);
    if (due.kind !== 'due' || record.appliedAt === undefined) {
      log.warn({ due: due.kind, state: record.state }, 'audit report job for a request with no report due');
      return;
    }
    const now = deps.clock();
    const policies = await standing(record);
    const keys = new Set(policies.filter((p) => p.state === 'audit').map((p) => p.key));
    const since = auditStart(record) ?? record.appliedAt;
    const flows =
      keys.size === 0
        ? []
        : wouldBlock(await auditFlowsOf(deps.flows, record, now), {
            policies: keys,
            since,
            ...(job.data.baseline === undefined ? {} : { baseline: job.data.baseline }),
          });
    const unwatched =
      keys.size > 0 && flows.length === 0 && !(await agentReportedSince(record.cluster, since));
    const report = renderAuditReport({
      cluster: record.cluster,
      requestId: record.id,
      requester: record.requester,
      window: due.window,
      windowStart: record.appliedAt,
      windowEnd: new Date(Date.parse(record.appliedAt) + due.windowMs).toISOString(),
      policies,
      flows,
      ...(unwatched ? { unwatched } : {}),
    });
    await deps.send(
      {
        kind: 'post',
        channel: record.approvalChannel ?? record.requestChannel,
        text: report.text,
        blocks: report.blocks,
        ...(record.approvalTs === undefined ? {} : { threadTs: record.approvalTs }),
      },
      { jobId: auditReportMessageId(record.id) },
    );
    log.info(
      { flows: flows.length, inAudit: keys.size, policies: policies.length, window: due.window, unwatched },
      'audit report posted',
    );
  };
}
