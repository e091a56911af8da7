/**
 * The audit report's **Enforce** button (issue 10): a NEW request, by whoever clicked, for the
 * audited request's policies that are still in audit mode, without the `netpol.io/audit` annotation
 * (the same objects, so the same names: the worker's server-side apply replaces the audit objects
 * in place, dropping the annotation, and the agents start enforcing). It goes the usual way: the preview to the
 * clicker (ephemeral, Submit keeps it as a draft), the approval card showing exactly these objects,
 * an approver who is not the clicker, the worker's apply. The clicker need not be an approver.
 *
 * Which policies are still in audit mode is read from the cluster's snapshot: one deleted since is
 * not recreated, one already enforced is left out; none left is said, and nothing is kept.
 */
import { isNetpolError, NetpolError } from '../core/errors';
import { auditModeOf } from '../core/k8s/audit-mode';
import type { NetworkPolicy } from '../core/k8s/types';
import { asEnforced } from '../core/policy/audit-policies';
import { describeEffect } from '../core/policy/describe-effect';
import { provenanceMetadata } from '../core/policy/provenance';
import { enforcedCommand } from '../core/request/format-request';
import type { RequestRecord } from '../contracts/request-record';
import { processRequestYaml } from '../contracts/request-yaml';
import { renderError, renderPreview, renderRefusal, type SlackMessage } from '../adapters/slack/render';
import { mayRequest } from './authorize';
import type { BotContext } from './bot-context';
import type { DraftPreviews } from './draft-previews';

const key = (policy: NetworkPolicy): string => `${policy.metadata.namespace}/${policy.metadata.name}`;

/** An enforced twin (core/policy/audit-policies.ts) stamped as the new request's: its id, its requester. */
function stamped(
  policy: NetworkPolicy,
  stamp: { command: string; requestId: string; requester: string; cluster: string },
): NetworkPolicy {
  const provenance = provenanceMetadata(stamp.command, stamp);
  return {
    ...policy,
    metadata: {
      ...policy.metadata,
      labels: { ...policy.metadata.labels, ...provenance.labels },
      annotations: { ...policy.metadata.annotations, ...provenance.annotations },
    },
  };
}

export class AuditEnforce {
  constructor(
    private readonly ctx: BotContext,
    private readonly previews: DraftPreviews,
  ) {}

  /** The click: the preview of enforcing the audited request's policies, to the clicker. */
  async click(user: string, requestId: string): Promise<SlackMessage> {
    const record = await this.ctx.deps.store.get(requestId);
    if (record === undefined) return renderRefusal({ kind: 'not-found', requestId }, { user });
    const text = `enforce ${record.id}`;
    try {
      return await this.preview(user, record, text);
    } catch (error) {
      if (isNetpolError(error)) return renderError(error, { cluster: record.cluster, text, user });
      throw error;
    }
  }

  private async preview(user: string, record: RequestRecord, text: string): Promise<SlackMessage> {
    const { config } = this.ctx.deps;
    // The new request is asked where the audited one was (the report sits in the approval thread).
    const input = { user, channel: record.requestChannel, text };
    if (!mayRequest(config, user, record.requestChannel))
      throw new NetpolError('E_FORBIDDEN', 'you may not request policy changes', {
        hint: 'ask someone who may request changes to click Enforce, or ask an admin',
      });
    const audited = record.action === 'apply' && record.state === 'applied' ? record.policies : [];
    const inAudit = audited.filter((p) => auditModeOf(p.metadata.annotations) !== undefined);
    if (inAudit.length === 0)
      return renderRefusal(`request ${record.id} put no policy in audit mode: there is nothing to enforce`, {
        user,
      });
    const state = await this.ctx.state(record.cluster, true);
    const live = new Map(state.policies.map((p) => [key(p), p]));
    const still = inAudit.filter((p) => {
      const now = live.get(key(p));
      return now !== undefined && auditModeOf(now.metadata.annotations) !== undefined;
    });
    if (still.length === 0)
      return renderRefusal(
        `the policies of request ${record.id} are no longer in audit mode (deleted or already enforced): there is nothing to enforce`,
        { user },
      );
    const id = this.ctx.deps.newRequestId();
    const command = enforcedCommand(record.command);
    const stamp = { command, requestId: id, requester: user, cluster: record.cluster };
    const policies = asEnforced(still).map((p) => stamped(p, stamp));
    const yaml = (this.ctx.deps.requestYaml ?? processRequestYaml).render(policies);
    const effect = describeEffect(policies, state);
    const notes = [
      `enforces what request ${record.id} put in audit mode (${still.map(key).join(', ')}): the same policies without the netpol.io/audit annotation`,
    ];
    const left = inAudit.length - still.length;
    if (left > 0)
      notes.push(`${left} of its policies ${left === 1 ? 'is' : 'are'} no longer in audit mode and left out`);
    const draft = this.previews.draftRecord({
      id,
      cluster: record.cluster,
      action: 'apply',
      input,
      text,
      command,
      policies,
      yaml,
      warnings: [],
      effect,
    });
    await this.ctx.deps.drafts.put(draft);
    return renderPreview({
      cluster: record.cluster,
      requester: user,
      command,
      text,
      policiesYaml: yaml,
      effect,
      warnings: [],
      notes,
      draftId: id,
    });
  }
}
