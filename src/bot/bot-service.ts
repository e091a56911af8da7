/**
 * Everything the bot does, without Bolt: each method takes who asked and what, and returns the
 * messages to show that person (ephemeral). Side effects go through the injected store, drafts,
 * queues and outbox. Slack listeners (build-bot.ts) only ack, call these, and respond.
 */
import { NetpolError, isNetpolError } from '../errors';
import { buildPolicyIndex } from '../evaluator';
import type { NetworkPolicy } from '../k8s/types';
import { buildPolicies } from '../policy/build-policies';
import { describeEffect } from '../policy/describe-effect';
import { isManagedByNetpol } from '../policy/provenance';
import { renderPolicies } from '../policy/render-policies';
import { computeWarnings, formatWarning } from '../policy/warnings';
import { answerQuery, canReachVerdicts } from '../query/answer-query';
import { formatRequest } from '../request/format-request';
import { helpText } from '../request/help';
import { parseRequest } from '../request/parser';
import { isPolicyRequest, isQueryRequest } from '../request/request';
import { resolveRequest } from '../request/resolve-request';
import { closest } from '../request/suggest';
import { policyHash } from '../requests/policy-hash';
import type { RequestRecord } from '../requests/request-record';
import {
  renderApprovalMessage,
  renderError,
  renderExplain,
  renderHelp,
  renderHistory,
  renderPending,
  renderPreview,
  renderRefusal,
  renderShowNamespace,
  renderSubmitted,
  type SlackMessage,
} from '../slack-render';
import type { ClusterState } from '../state/cluster-state';
import { mayRequest, namespacesNotApprovable } from './authorize';
import type { BotDeps } from './bot-deps';
import { splitCommandText } from './command-text';
import { renderQueryAnswer } from './query-reply';

export interface CommandInput {
  user: string;
  channel: string;
  text: string;
}

export interface DecisionInput {
  user: string;
  requestId: string;
  approve: boolean;
  /** Where the clicked approval message is (used if the record has not learned it yet). */
  channel?: string;
  ts?: string;
}

export class BotService {
  constructor(private readonly deps: BotDeps) {}

  private now(): Date {
    return this.deps.clock();
  }

  async handleCommand(input: CommandInput): Promise<SlackMessage[]> {
    const parsed = splitCommandText(input.text);
    let cluster = parsed.cluster ?? this.deps.config.defaultCluster;
    try {
      cluster = this.checkCluster(parsed.cluster);
      switch (parsed.subcommand) {
        case 'help':
          return [renderHelp(helpText(parsed.rest === '' ? undefined : parsed.rest))];
        case 'show':
          return await this.show(cluster, input.user, parsed.rest);
        case 'explain':
          return [await this.explain(cluster, input.user, parsed.rest)];
        case 'pending':
          return [
            renderPending({
              cluster,
              user: input.user,
              now: this.now().toISOString(),
              records: await this.deps.store.listByState(
                ['pending-approval', 'approved', 'applying', 'failed'],
                { cluster, limit: 40 },
              ),
            }),
          ];
        case 'history':
          return [await this.history(cluster, parsed.rest)];
        case 'revoke':
          return [await this.revoke(input, cluster, parsed.rest)];
        case 'request':
          return [await this.request(input, cluster, parsed.rest)];
      }
    } catch (error) {
      return [this.errorReply(error, cluster, input.text)];
    }
  }

  private errorReply(error: unknown, cluster: string, text: string): SlackMessage {
    if (isNetpolError(error)) return renderError(error, { cluster, text });
    this.deps.log.error({ err: error }, 'command failed');
    return renderError(
      new NetpolError('E_USAGE', 'something went wrong on our side; the team has the details in the logs'),
      { cluster, text },
    );
  }

  private checkCluster(named: string | undefined): string {
    const { clusters, defaultCluster } = this.deps.config;
    if (named === undefined) {
      if (defaultCluster !== '') return defaultCluster;
      throw new NetpolError('E_USAGE', `several clusters are configured (${clusters.join(', ')}): name one`, {
        hint: `e.g. /netpol @${clusters[0]} allow frontend nginx to backend`,
      });
    }
    if (!clusters.includes(named)) {
      const suggestion = closest(named, clusters);
      throw new NetpolError('E_USAGE', `no cluster "${named}" is configured`, {
        hint: suggestion === undefined ? `clusters: ${clusters.join(', ')}` : `did you mean @${suggestion}?`,
      });
    }
    return named;
  }

  private async state(cluster: string, required: boolean): Promise<ClusterState | undefined> {
    const snapshot = await this.deps.clusters.read(cluster);
    if (snapshot === undefined && required) {
      throw new NetpolError(
        'E_STATE',
        `no worker of cluster ${cluster} has reported the cluster's state yet`,
        {
          hint: 'start a worker for this cluster (see the README)',
        },
      );
    }
    return snapshot?.state;
  }

  private async request(input: CommandInput, cluster: string, text: string): Promise<SlackMessage> {
    const parsed = parseRequest(text);
    if (parsed.verb === 'help') return renderHelp(helpText(parsed.topic));
    if (isQueryRequest(parsed)) {
      const state = (await this.state(cluster, true)) as ClusterState;
      const { request } = resolveRequest(parsed, { state, labelKeys: this.deps.config.labelKeys });
      if (!isQueryRequest(request)) throw new NetpolError('E_SYNTAX', 'not a question');
      return renderQueryAnswer({
        cluster,
        user: input.user,
        command: formatRequest(request),
        answer: answerQuery(request, state, buildPolicyIndex(state)),
      });
    }
    if (!mayRequest(this.deps.config, input.user, input.channel)) {
      throw new NetpolError('E_FORBIDDEN', 'you may not request policy changes here', {
        hint: 'ask in a channel netpol accepts requests from, or ask an admin',
      });
    }
    const state = await this.state(cluster, false);
    const { request, notes } = resolveRequest(parsed, {
      ...(state === undefined ? {} : { state }),
      labelKeys: this.deps.config.labelKeys,
    });
    if (!isPolicyRequest(request)) throw new NetpolError('E_SYNTAX', 'not a policy request or a question');
    const command = formatRequest(request);
    const id = this.deps.newRequestId();
    const policies = buildPolicies(request, {
      command,
      provenance: { requestId: id, requester: input.user, cluster },
      keywords: this.deps.config.keywords,
      ...(state === undefined ? {} : { state }),
    });
    const warnings = state === undefined ? [] : computeWarnings(request, policies, state).map(formatWarning);
    const record = this.draftRecord({
      id,
      cluster,
      action: 'apply',
      input,
      text,
      command,
      policies,
      warnings,
      effect: describeEffect(policies, state),
    });
    await this.deps.drafts.put(record);
    return renderPreview({
      cluster,
      requester: input.user,
      command,
      text,
      policiesYaml: renderPolicies(policies, 'yaml'),
      effect: record.effect,
      warnings,
      draftId: id,
      notes,
    });
  }

  private draftRecord(fields: {
    id: string;
    cluster: string;
    action: RequestRecord['action'];
    input: CommandInput;
    text: string;
    command: string;
    policies: NetworkPolicy[];
    warnings: string[];
    effect: string;
  }): RequestRecord {
    const now = this.now();
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
      policyHash: policyHash(fields.policies),
      effect: fields.effect,
      warnings: fields.warnings,
      state: 'pending-approval',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.deps.config.requestTtlMs).toISOString(),
    };
  }

  private async revoke(input: CommandInput, cluster: string, target: string): Promise<SlackMessage> {
    if (!mayRequest(this.deps.config, input.user, input.channel)) {
      throw new NetpolError('E_FORBIDDEN', 'you may not request policy changes here');
    }
    const name = target.trim();
    if (name === '')
      throw new NetpolError('E_USAGE', 'revoke needs a policy', {
        hint: 'e.g. /netpol revoke backend/netpol-allow-frontend-nginx-to-backend-1a2b3c4d',
      });
    const state = (await this.state(cluster, true)) as ClusterState;
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
    const record = this.draftRecord({
      id: this.deps.newRequestId(),
      cluster,
      action: 'revoke',
      input,
      text: `revoke ${name}`,
      command,
      policies: [policy],
      warnings: [],
      effect,
    });
    await this.deps.drafts.put(record);
    return renderPreview({
      cluster,
      requester: input.user,
      command,
      text: record.text,
      policiesYaml: renderPolicies([policy], 'yaml'),
      effect,
      warnings: [],
      draftId: record.id,
      notes: [],
    });
  }

  private async show(cluster: string, user: string, rest: string): Promise<SlackMessage[]> {
    const namespace = rest.trim();
    if (namespace === '')
      throw new NetpolError('E_USAGE', 'show needs a namespace', { hint: 'e.g. /netpol show backend' });
    const state = (await this.state(cluster, true)) as ClusterState;
    if (!state.namespaces.some((n) => n.name === namespace)) {
      const suggestion = closest(
        namespace,
        state.namespaces.map((n) => n.name),
      );
      throw new NetpolError(
        'E_UNKNOWN_NAMESPACE',
        `no namespace "${namespace}" in cluster ${cluster}`,
        suggestion === undefined ? {} : { hint: `did you mean "${suggestion}"?` },
      );
    }
    return renderShowNamespace({ cluster, namespace, state, now: this.now().toISOString(), user });
  }

  private async explain(cluster: string, user: string, rest: string): Promise<SlackMessage> {
    // `/netpol explain A to B on P` is the question `can A reach B on P`.
    const match = /^(.*?)\s+to\s+(.*)$/i.exec(rest.trim());
    if (match === null)
      throw new NetpolError('E_USAGE', 'explain needs a source and a destination', {
        hint: 'e.g. /netpol explain frontend/nginx to backend/api on 8080',
      });
    const state = (await this.state(cluster, true)) as ClusterState;
    const parsed = parseRequest(`can ${match[1]} reach ${match[2]}`);
    const { request } = resolveRequest(parsed, { state, labelKeys: this.deps.config.labelKeys });
    if (request.verb !== 'can') throw new NetpolError('E_SYNTAX', 'not a question');
    return renderExplain({
      cluster,
      user,
      verdicts: canReachVerdicts(request, state, buildPolicyIndex(state)),
    });
  }

  private async history(cluster: string, rest: string): Promise<SlackMessage> {
    const namespace = rest.trim();
    if (namespace === '')
      throw new NetpolError('E_USAGE', 'history needs a namespace', { hint: 'e.g. /netpol history backend' });
    return renderHistory({
      cluster,
      namespace,
      entries: await this.deps.store.history(cluster, namespace, { limit: 30 }),
    });
  }

  /** Submit: the draft becomes a pending request, with its approval message and its expiry. */
  async submit(user: string, draftId: string): Promise<SlackMessage> {
    const draft = await this.deps.drafts.take(draftId, user);
    if (draft === undefined)
      return renderRefusal('this preview has expired or was already submitted; run the command again');
    const now = this.now();
    const record: RequestRecord = {
      ...draft,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.deps.config.requestTtlMs).toISOString(),
    };
    await this.deps.store.create(record);
    await this.deps.queues.scheduleExpiry(record.id, this.deps.config.requestTtlMs);
    const message = renderApprovalMessage(record, {
      yaml: renderPolicies(record.policies, 'yaml'),
      now: now.toISOString(),
    });
    await this.deps.outbox.send(
      {
        kind: 'post',
        channel: this.deps.config.approvalChannel,
        text: message.text,
        blocks: message.blocks,
        recordApprovalFor: record.id,
      },
      { jobId: `approval-${record.id}` },
    );
    this.deps.log.info(
      { requestId: record.id, cluster: record.cluster, requester: user },
      'request submitted',
    );
    return renderSubmitted({ ...record, approvalChannel: this.deps.config.approvalChannel });
  }

  async cancel(user: string, draftId: string): Promise<SlackMessage> {
    const discarded = await this.deps.drafts.discard(draftId, user);
    return renderRefusal(
      discarded ? 'cancelled: nothing was submitted' : 'this preview has expired or was already submitted',
    );
  }

  /** Approve or Reject: checked and recorded atomically by the store; the message is edited in place. */
  async decide(input: DecisionInput): Promise<SlackMessage | undefined> {
    const record = await this.deps.store.get(input.requestId);
    if (record === undefined) return renderRefusal('this request does not exist (any more)');
    const refused = await namespacesNotApprovable(
      this.deps.config,
      record.namespaces,
      input.user,
      this.deps.groupMembers,
    );
    if (refused.length > 0) {
      this.deps.log.warn(
        { requestId: record.id, user: input.user, namespaces: refused },
        'decision refused: not an approver',
      );
      return renderRefusal(
        `you are not an approver for ${refused.join(', ')}: only they can ${input.approve ? 'approve' : 'reject'} this request`,
      );
    }
    const now = this.now().toISOString();
    const result = await this.deps.store.decide(record.id, { approve: input.approve, by: input.user, now });
    if (!result.ok) {
      switch (result.refusal) {
        case 'self-approval':
          return renderRefusal('you cannot approve your own request: another approver must');
        case 'expired':
          if (result.record !== undefined) await this.updateApprovalMessage(result.record, input);
          return renderRefusal(
            'this request has expired; nothing was applied. Submit it again if it is still needed',
          );
        case 'not-found':
          return renderRefusal('this request does not exist (any more)');
        case 'not-pending': {
          const current = result.record;
          const who = current?.decidedBy === undefined ? '' : ` by <@${current.decidedBy}>`;
          return renderRefusal(`this request is already ${current?.state ?? 'decided'}${who}`);
        }
      }
    }
    const decided = result.record;
    if (input.approve) {
      await this.deps.queues.enqueueApply({
        requestId: decided.id,
        cluster: decided.cluster,
        policyHash: decided.policyHash,
      });
    }
    await this.updateApprovalMessage(decided, input);
    this.deps.log.info({ requestId: decided.id, by: input.user, state: decided.state }, 'request decided');
    return undefined;
  }

  /** Due expiry: marks the request expired (if still pending) and edits its approval message. */
  async expire(requestId: string): Promise<void> {
    const result = await this.deps.store.expire(requestId, this.now().toISOString());
    if (result.ok) {
      await this.updateApprovalMessage(result.record, {});
      this.deps.log.info({ requestId }, 'request expired');
    }
  }

  private async updateApprovalMessage(
    record: RequestRecord,
    fallback: { channel?: string; ts?: string },
  ): Promise<void> {
    const channel = record.approvalChannel ?? fallback.channel;
    const ts = record.approvalTs ?? fallback.ts;
    if (channel === undefined || ts === undefined) return;
    const message = renderApprovalMessage(record, {
      yaml: renderPolicies(record.policies, 'yaml'),
      now: this.now().toISOString(),
    });
    await this.deps.outbox.send({ kind: 'update', channel, ts, text: message.text, blocks: message.blocks });
  }
}
