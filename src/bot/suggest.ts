/**
 * `/netpol suggest <namespace>` (issue 10): the namespace's observed flows (the agents' flow store)
 * turned by core/suggest into the least-privilege change, shown with a checkbox per flow. Request
 * approval builds the change for the ticked flows with the ordinary planner (plan-request.ts), keeps
 * it as a draft and submits it through Approvals, exactly as a typed request's Submit does: one
 * request, one approval card, the usual approvers. The picture of the same flows (graph.ts's
 * shareFlowGraph, as `/netpol graph` shares it) is posted in the channel beside the suggestion; a
 * picture that fails is logged and the suggestion still shown.
 */
import type { ObservedFlow } from '../contracts/observed-flows';
import { processRequestYaml } from '../contracts/request-yaml';
import { NetpolError } from '../core/errors';
import { describeEffect } from '../core/policy/describe-effect';
import { formatWarning } from '../core/policy/warnings';
import {
  peerText,
  suggestFor,
  suggestionRequests,
  type SuggestionItem,
} from '../core/suggest/suggest-policies';
import { planRequest } from '../core/use-cases/plan-request';
import { SUGGEST_FLOWS_ACTION_PREFIX } from '../adapters/slack/render/action-ids';
import { renderRefusal, type SlackMessage } from '../adapters/slack/render';
import {
  renderSuggestion,
  SUGGESTION_MAX_FLOWS,
  type SuggestionFlowView,
} from '../adapters/slack/render/suggestion';
import type { Approvals } from './approvals';
import { mayRequest } from './authorize';
import type { BotContext, CommandInput } from './bot-context';
import type { DraftPreviews } from './draft-previews';
import { shareFlowGraph } from './graph';

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function suggestOf(ctx: BotContext) {
  const suggest = ctx.deps.suggest;
  if (suggest === undefined)
    throw new NetpolError('E_UNSUPPORTED', 'observed flows are not set up for this bot');
  return suggest;
}

function flowText(flow: ObservedFlow): string {
  return `${peerText(flow.source)} → ${peerText(flow.destination)} ${flow.protocol.toLowerCase()}/${flow.port}`;
}

function view(item: SuggestionItem<ObservedFlow>): SuggestionFlowView {
  const { flow } = item;
  return {
    id: item.id,
    source: peerText(flow.source),
    destination: peerText(flow.destination),
    port: `${flow.protocol.toLowerCase()}/${flow.port}`,
    verdict: flow.verdict,
    count: flow.count,
    ticked: item.ticked,
  };
}

/** The flows ticked in a click's `state.values`: every checkbox of the suggestion message. */
export function tickedFlows(state: unknown): string[] {
  const values = (state as { values?: Record<string, Record<string, unknown>> } | undefined)?.values ?? {};
  const out: string[] = [];
  for (const block of Object.values(values)) {
    for (const [actionId, element] of Object.entries(block ?? {})) {
      if (!actionId.startsWith(SUGGEST_FLOWS_ACTION_PREFIX)) continue;
      const selected = (element as { selected_options?: { value?: unknown }[] }).selected_options ?? [];
      for (const option of selected) if (typeof option.value === 'string') out.push(option.value);
    }
  }
  return out;
}

export class Suggestions {
  constructor(
    private readonly ctx: BotContext,
    private readonly previews: DraftPreviews,
    private readonly approvals: Approvals,
  ) {}

  async command(input: CommandInput, cluster: string, rest: string): Promise<SlackMessage> {
    const namespace = rest.trim();
    if (!NAMESPACE.test(namespace))
      throw new NetpolError(
        'E_USAGE',
        namespace === '' ? 'suggest needs a namespace' : `"${namespace}" is not a namespace`,
        { hint: 'e.g. /netpol suggest backend' },
      );
    const { config } = this.ctx.deps;
    if (!mayRequest(config, input.user, input.channel))
      throw new NetpolError('E_FORBIDDEN', 'you may not request policy changes here', {
        hint: 'ask in a channel netpol accepts requests from, or ask an admin',
      });
    const suggest = suggestOf(this.ctx);
    // The retention the list was cut at is the one the message names: read once, for both.
    const { flows, retentionMs: reportedMs } = await suggest.flows.listWithRetention(
      cluster,
      namespace,
      this.ctx.now(),
    );
    const all = suggestFor(namespace, flows, { keywords: config.keywords });
    const suggestion = { ...all, items: all.items.slice(0, SUGGESTION_MAX_FLOWS) };
    const id = this.ctx.deps.newRequestId();
    if (suggestion.items.length > 0) {
      await suggest.suggestions.put({
        id,
        cluster,
        requester: input.user,
        channel: input.channel,
        suggestion,
        createdAt: this.ctx.now().toISOString(),
      });
    }
    if (flows.length > 0) await this.shareGraph(input, cluster, namespace, flows);
    const ticked = new Set(suggestion.items.filter((i) => i.ticked).map((i) => i.id));
    return renderSuggestion({
      cluster,
      requester: input.user,
      namespace,
      suggestionId: id,
      flows: suggestion.items.map(view),
      requests: suggestionRequests(suggestion, ticked),
      unattributed: all.unattributed.map((u) => ({ flow: flowText(u.flow), why: u.why })),
      notShown: all.items.length - suggestion.items.length,
      retention: { ms: reportedMs ?? suggest.defaultRetentionMs, reported: reportedMs !== undefined },
    });
  }

  private async shareGraph(
    input: CommandInput,
    cluster: string,
    namespace: string,
    flows: readonly ObservedFlow[],
  ): Promise<void> {
    try {
      await shareFlowGraph(this.ctx, { cluster, namespace, user: input.user, channel: input.channel }, flows);
    } catch (err) {
      this.ctx.deps.log.warn({ err, cluster, namespace }, 'suggestion graph not shared');
    }
  }

  /** Request approval: the ticked flows' change, planned, kept as a draft and submitted. */
  async requestApproval(
    input: CommandInput,
    suggestionId: string,
    ticked: readonly string[],
  ): Promise<SlackMessage> {
    const suggest = suggestOf(this.ctx);
    const gone = 'this suggestion has expired or was already sent for approval; run /netpol suggest again';
    const record = await suggest.suggestions.get(suggestionId, input.user);
    if (record === undefined) return renderRefusal(gone, { user: input.user });
    if (!mayRequest(this.ctx.deps.config, input.user, input.channel))
      throw new NetpolError('E_FORBIDDEN', 'you may not request policy changes here');
    const { cluster, suggestion } = record;
    const state = await this.ctx.state(cluster, true);
    const chosen = new Set(ticked);
    const requests = suggestionRequests(suggestion, chosen);
    const { labelKeys, keywords } = this.ctx.deps.config;
    const plans = requests.map((text) => {
      const plan = planRequest(text, state, {
        labelKeys,
        keywords,
        provenance: { requestId: record.id, requester: input.user, cluster },
      });
      // The suggestion writes only changes; anything else is a bug in core/suggest.
      if (plan.kind !== 'policies') throw new Error(`suggestion produced a non-change: ${text}`);
      return plan;
    });
    const policies = plans.flatMap((p) => p.policies);
    const blocked = suggestion.items
      .filter((i) => !chosen.has(i.id))
      .map((i) => `seen but not allowed by this change: ${flowText(i.flow)} (${i.flow.verdict} when seen)`);
    const warnings = [...plans.flatMap((p) => p.warnings.map(formatWarning)), ...blocked];
    const yaml = (this.ctx.deps.requestYaml ?? processRequestYaml).render(policies);
    const draft = this.previews.draftRecord({
      id: record.id,
      cluster,
      action: 'apply',
      input,
      text: `suggest ${suggestion.namespace}`,
      command: requests.join('\n'),
      policies,
      yaml,
      warnings,
      effect: describeEffect(policies, state),
    });
    // Of two clicks, one sends it.
    if (!(await suggest.suggestions.use(record.id))) return renderRefusal(gone, { user: input.user });
    await this.ctx.deps.drafts.put(draft);
    return this.approvals.submit(input.user, draft.id);
  }
}
