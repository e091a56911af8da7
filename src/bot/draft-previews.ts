/**
 * Policy change requests up to their preview: planned against the cluster snapshot by the shared
 * use case (core/use-cases/plan-request.ts: the exact policies and warnings), described, and kept as
 * a draft whose id is the only thing the Submit button carries. Without a cluster snapshot (no
 * worker has reported the cluster) a change is previewed but not kept: it was never checked, so it
 * cannot be submitted. Also answers questions typed as requests (`can A reach B`), to readers.
 */
import { NetpolError } from '../core/errors';
import { isAuditPolicy } from '../core/k8s/audit-mode';
import type { NetworkPolicy } from '../core/k8s/types';
import { describeEffect } from '../core/policy/describe-effect';
import { isManagedByNetpol } from '../core/policy/provenance';
import { formatWarning } from '../core/policy/warnings';
import { helpText } from '../core/request/help';
import { parseRequest } from '../core/request/parser';
import { isQueryRequest } from '../core/request/request';
import { closest } from '../core/request/suggest';
import { planRequest, type PlanRequestOptions } from '../core/use-cases/plan-request';
import { policyHash } from '../contracts/policy-hash';
import type { RequestRecord } from '../contracts/request-record';
import { processRequestYaml, type RequestYaml } from '../contracts/request-yaml';
import {
  renderHelp,
  renderPreview,
  renderQueryAnswer,
  type PreviewInput,
  type SlackMessage,
} from '../adapters/slack/render';
import { mayRequest, requireReader } from './authorize';
import { auditAgentNote } from './audit-agent-note';
import type { BotContext, CommandInput } from './bot-context';

export class DraftPreviews {
  constructor(private readonly ctx: BotContext) {}

  /** The one rendering of a request's YAML happens here; the draft, then the request, keep it. */
  private get requestYaml(): RequestYaml {
    return this.ctx.deps.requestYaml ?? processRequestYaml;
  }

  async request(input: CommandInput, cluster: string, text: string): Promise<SlackMessage> {
    const parsed = parseRequest(text);
    if (parsed.verb === 'help') return renderHelp(helpText(parsed.topic));
    if (isQueryRequest(parsed)) {
      await requireReader(this.ctx.deps.config, this.ctx.deps.groupMembers, input);
      const state = await this.ctx.state(cluster, true);
      const plan = planRequest(parsed, state, this.languageOptions());
      if (plan.kind !== 'answer') throw new NetpolError('E_SYNTAX', 'not a question');
      return renderQueryAnswer({ cluster, user: input.user, command: plan.command, answer: plan.answer });
    }
    if (!mayRequest(this.ctx.deps.config, input.user, input.channel)) {
      throw new NetpolError('E_FORBIDDEN', 'you may not request policy changes here', {
        hint: 'ask in a channel netpol accepts requests from, or ask an admin',
      });
    }
    const snapshot = await this.ctx.deps.clusters.read(cluster);
    const state = snapshot?.state;
    const id = this.ctx.deps.newRequestId();
    const plan = planRequest(parsed, state, {
      ...this.languageOptions(),
      provenance: { requestId: id, requester: input.user, cluster },
    });
    if (plan.kind !== 'policies') throw new NetpolError('E_SYNTAX', 'not a policy request or a question');
    const { command, policies, notes } = plan;
    const warnings = plan.warnings.map(formatWarning);
    const yaml = this.requestYaml.render(policies);
    const effect = describeEffect(policies, state);
    const preview = {
      cluster,
      requester: input.user,
      command,
      text,
      policiesYaml: yaml,
      effect,
      warnings,
      notes,
      ...(await this.livenessNote(cluster, snapshot?.updatedAt)),
      ...(await this.auditAgentNote(cluster, policies)),
    };
    if (state === undefined) {
      // Never checked against the cluster: shown, but no draft is kept, so nothing can be submitted.
      return renderPreview({ ...preview, unchecked: {} });
    }
    const record = this.draftRecord({
      id,
      cluster,
      action: 'apply',
      input,
      text,
      command,
      policies,
      yaml,
      warnings,
      effect,
    });
    await this.ctx.deps.drafts.put(record);
    return renderPreview({ ...preview, draftId: id });
  }

  /** The cluster's liveness for the preview's stale-snapshot note (issue 11), when heartbeats are read. */
  private async livenessNote(
    cluster: string,
    snapshotUpdatedAt: string | undefined,
  ): Promise<{ liveness?: PreviewInput['liveness'] }> {
    const of = await this.ctx.liveness(cluster, snapshotUpdatedAt);
    return of === undefined ? {} : { liveness: { of, now: this.ctx.now().toISOString() } };
  }

  /** For a request in audit mode: whether the cluster has node agents to audit it (audit-agent-note.ts). */
  private async auditAgentNote(
    cluster: string,
    policies: readonly NetworkPolicy[],
  ): Promise<{ auditAgentNote?: string }> {
    const heartbeats = this.ctx.deps.heartbeats;
    if (heartbeats === undefined || !policies.some(isAuditPolicy)) return {};
    const beats = await heartbeats.list(cluster).catch(() => undefined);
    const note = auditAgentNote({ cluster, policies, beats, now: this.ctx.now() });
    return note === undefined ? {} : { auditAgentNote: note };
  }

  /** The request language as this installation configured it (the CLI reads the same file). */
  private languageOptions(): PlanRequestOptions {
    const { labelKeys, keywords } = this.ctx.deps.config;
    return { labelKeys, keywords };
  }

  /** The record a Submit turns into a request (also `/netpol suggest`'s Request approval, suggest.ts). */
  draftRecord(fields: {
    id: string;
    cluster: string;
    action: RequestRecord['action'];
    input: CommandInput;
    text: string;
    command: string;
    policies: NetworkPolicy[];
    yaml: string;
    warnings: string[];
    effect: string;
  }): RequestRecord {
    const now = this.ctx.now();
    return {
      id: fields.id,
      cluster: fields.cluster,
      action: fields.action,
      text: fields.text,
      command: fields.command,
      requester: fields.input.user,
      requestChannel: fields.input.channel,
      namespaces: [...new Set(fields.policies.map((p) => p.metadata.namespace))].sort(),
      policies: fields.policies,
      yaml: fields.yaml,
      policyHash: policyHash(fields.policies),
      effect: fields.effect,
      warnings: fields.warnings,
      state: 'pending-approval',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.ctx.deps.config.requestTtlMs).toISOString(),
    };
  }

  async revoke(input: CommandInput, cluster: string, target: string): Promise<SlackMessage> {
    if (!mayRequest(this.ctx.deps.config, input.user, input.channel)) {
      throw new NetpolError('E_FORBIDDEN', 'you may not request policy changes here');
    }
    const name = target.trim();
    if (name === '')
      throw new NetpolError('E_USAGE', 'revoke needs a policy', {
        hint: 'e.g. /netpol revoke backend/netpol-allow-frontend-nginx-to-backend-1a2b3c4d',
      });
    const state = await this.ctx.state(cluster, true);
    const [ns, policyName] = name.includes('/')
      ? (name.split('/', 2) as [string, string])
      : [undefined, name];
    const found = state.policies.filter(
      (p) => p.metadata.name === policyName && (ns === undefined || p.metadata.namespace === ns),
    );
    if (found.length === 0) {
      const suggestion = closest(
        policyName,
        state.policies.map((p) => p.metadata.name),
      );
      throw new NetpolError(
        'E_UNKNOWN_ENDPOINT',
        `no policy "${name}" in cluster ${cluster}`,
        suggestion === undefined ? {} : { hint: `did you mean ${suggestion}?` },
      );
    }
    if (found.length > 1) {
      throw new NetpolError('E_USAGE', `several namespaces have a policy "${policyName}"`, {
        hint: `name one: ${found.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`,
      });
    }
    const existing = found[0] as NetworkPolicy;
    if (!isManagedByNetpol(existing)) {
      throw new NetpolError(
        'E_NOT_OWNED',
        `${existing.metadata.namespace}/${existing.metadata.name} is not managed by netpol`,
        { hint: 'netpol only removes policies it created' },
      );
    }
    const policy: NetworkPolicy = {
      apiVersion: existing.apiVersion,
      kind: existing.kind,
      metadata: {
        name: existing.metadata.name,
        namespace: existing.metadata.namespace,
        ...(existing.metadata.labels === undefined ? {} : { labels: existing.metadata.labels }),
      },
      spec: existing.spec,
    };
    const command = `revoke ${policy.metadata.namespace}/${policy.metadata.name}`;
    const effect = describeEffect([policy], state, { action: 'revoke' });
    const yaml = this.requestYaml.render([policy]);
    const record = this.draftRecord({
      id: this.ctx.deps.newRequestId(),
      cluster,
      action: 'revoke',
      input,
      text: `revoke ${name}`,
      command,
      policies: [policy],
      yaml,
      warnings: [],
      effect,
    });
    await this.ctx.deps.drafts.put(record);
    return renderPreview({
      cluster,
      requester: input.user,
      command,
      text: record.text,
      policiesYaml: yaml,
      effect,
      warnings: [],
      draftId: record.id,
      notes: [],
      ...(await this.livenessNote(cluster, undefined)),
    });
  }
}
