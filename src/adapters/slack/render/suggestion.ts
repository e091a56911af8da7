/**
 * `/netpol suggest <namespace>` (issue 10): the flows seen to and from the namespace, one checkbox
 * each (Slack allows 10 per element, so one section per ten), the flows it would keep blocking and
 * those it cannot attribute, the change as requests of the language, and **Request approval**,
 * which carries the suggestion's id only: the ticked flows come with the click's state.
 */
import { ACTION_IDS, SUGGEST_FLOWS_ACTION_PREFIX } from './action-ids';
import {
  actions,
  button,
  type Block,
  type CheckboxOption,
  clip,
  context,
  message,
  mrkdwn,
  plain,
  section,
  SLACK_LIMITS,
  type SlackMessage,
} from './blocks';
import { code, codeBlock, escapeMrkdwn, mention, plural } from './mrkdwn';
import { clusterName } from './parts';

export interface SuggestionFlowView {
  /** The checkbox's value. */
  id: string;
  /** `frontend/nginx`, `203.0.113.7 (api.example.com)`. */
  source: string;
  destination: string;
  /** `tcp/8080`. */
  port: string;
  verdict: 'allowed' | 'blocked' | 'would-block';
  count: number;
  ticked: boolean;
}

export interface SuggestionInput {
  cluster: string;
  requester: string;
  namespace: string;
  suggestionId: string;
  flows: readonly SuggestionFlowView[];
  /** The change for the flows ticked as shown, as requests of the language. */
  requests: readonly string[];
  unattributed: readonly { flow: string; why: string }[];
  /** Flows seen but not offered (beyond what one message holds). */
  notShown: number;
  /**
   * How long flows are kept: `reported` when the agents saved their retention with the flows;
   * otherwise `ms` is only their default, and the message says no more than that.
   */
  retention: { ms: number; reported: boolean };
}

/** Sections of ten checkboxes: at most this many flows are offered in one message. */
export const SUGGESTION_MAX_FLOWS = 40;

const LISTED = 8;

function flowLine(flow: SuggestionFlowView): string {
  return `${flow.source} → ${flow.destination} ${flow.port}`;
}

function option(flow: SuggestionFlowView): CheckboxOption {
  const seen =
    flow.verdict === 'allowed'
      ? `allowed when seen · ${flow.count.toLocaleString('en-US')} sampled`
      : flow.verdict === 'would-block'
        ? `passed in audit mode, would be blocked · ${flow.count.toLocaleString('en-US')} seen`
        : `BLOCKED when seen · ${flow.count.toLocaleString('en-US')} ${flow.count === 1 ? 'drop' : 'drops'}`;
  return {
    text: mrkdwn(
      clip(escapeMrkdwn(flowLine(flow)), SLACK_LIMITS.optionTextChars),
      SLACK_LIMITS.optionTextChars,
    ),
    value: flow.id,
    description: plain(seen, SLACK_LIMITS.optionTextChars),
  };
}

/** `14 days`, `12 hours`, `90 minutes`: a retention as NETPOL_FLOW_RETENTION is usually written. */
function period(ms: number): string {
  if (ms % 86_400_000 === 0) return plural(ms / 86_400_000, 'day');
  if (ms % 3_600_000 === 0) return plural(ms / 3_600_000, 'hour');
  return plural(Math.max(1, Math.round(ms / 60_000)), 'minute');
}

/** The retention the agents did not report: what is known is their setting and its default. */
function unreported(period: string): string {
  return `for their ${code('NETPOL_FLOW_RETENTION')}, ${period} by default`;
}

export function renderSuggestion(input: SuggestionInput): SlackMessage {
  const where = `${code(input.namespace)} on cluster ${clusterName(input.cluster)}`;
  const { reported } = input.retention;
  const kept = period(input.retention.ms);
  if (input.flows.length === 0) {
    const keptFor = reported ? kept : unreported(kept);
    const blocks: Block[] = [
      section(
        `:mag: No flow to or from ${where} can be suggested: agents sample new allowed connections and report drops, and keep them ${keptFor}.`,
      ),
    ];
    if (input.unattributed.length > 0) blocks.push(unattributedSection(input.unattributed));
    return message(`No flows to suggest from for ${input.namespace}`, blocks);
  }
  const seenWithin = reported ? `seen in the last ${kept}` : `the agents keep (${unreported(kept)})`;
  const blocks: Block[] = [
    section(
      `:bulb: *Suggested policies* for ${where}, for ${mention(input.requester)}: allow exactly the ${plural(input.flows.length, 'flow')} ${seenWithin}, deny the rest. ` +
        'Untick what should not be allowed; *Request approval* sends the ticked flows for approval as one change.',
    ),
  ];
  for (let start = 0; start < input.flows.length; start += SLACK_LIMITS.checkboxOptions) {
    const chunk = input.flows.slice(start, start + SLACK_LIMITS.checkboxOptions);
    const options = chunk.map(option);
    const initial = options.filter((_, i) => chunk[i]!.ticked);
    const index = start / SLACK_LIMITS.checkboxOptions;
    blocks.push({
      type: 'section',
      block_id: `suggest_flows_${index}`,
      text: mrkdwn(`*Flows ${start + 1}–${start + chunk.length}*`),
      accessory: {
        type: 'checkboxes',
        action_id: `${SUGGEST_FLOWS_ACTION_PREFIX}${index}`,
        options,
        ...(initial.length === 0 ? {} : { initial_options: initial }),
      },
    });
  }
  const blocked = input.flows.filter((f) => !f.ticked);
  if (blocked.length > 0) {
    const lines = blocked.slice(0, LISTED).map((f) => `• ${code(flowLine(f))}`);
    if (blocked.length > LISTED) lines.push(`• and ${blocked.length - LISTED} more`);
    blocks.push(
      section(
        `:warning: Seen, but this change keeps blocking ${blocked.length === 1 ? 'it' : 'them'} unless ticked:\n${lines.join('\n')}`,
      ),
    );
  }
  if (input.unattributed.length > 0) blocks.push(unattributedSection(input.unattributed));
  if (input.notShown > 0)
    blocks.push(
      section(
        `:warning: ${plural(input.notShown, 'more flow')} seen ${input.notShown === 1 ? 'is' : 'are'} not offered here (at most ${SUGGESTION_MAX_FLOWS}): the change denies ${input.notShown === 1 ? 'it' : 'them'}.`,
      ),
    );
  blocks.push(
    section(
      `The change as requested, for the flows ticked as shown:\n${codeBlock(input.requests.join('\n'))}`,
    ),
  );
  blocks.push(
    actions('suggest_actions', [
      button({
        actionId: ACTION_IDS.suggestRequestApproval,
        text: 'Request approval',
        value: input.suggestionId,
        style: 'primary',
      }),
    ]),
  );
  blocks.push(
    context(
      'Nothing changes until an approver approves. Policies are built by the same planner as typed requests.',
    ),
  );
  return message(
    `Suggested policies for ${input.namespace}: ${plural(input.flows.length, 'flow')} seen`,
    blocks,
  );
}

function unattributedSection(unattributed: readonly { flow: string; why: string }[]): Block {
  const lines = unattributed.slice(0, LISTED).map((u) => `• ${code(u.flow)}: ${u.why}`);
  if (unattributed.length > LISTED) lines.push(`• and ${unattributed.length - LISTED} more`);
  return section(`:grey_question: Seen but not attributed (not in the suggestion):\n${lines.join('\n')}`);
}
