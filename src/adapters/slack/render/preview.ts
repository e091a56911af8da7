/**
 * The ephemeral preview the requester sees before anything is submitted: the canonical command, how
 * names were read, the effect, the warnings and the exact YAML, with Submit and Cancel buttons that
 * carry only the draft id. Nothing is applied from here; approval comes after submission. A change
 * that could not be checked against the cluster (no worker has reported it) is shown without
 * buttons, saying why and when the cluster was last seen: it cannot be submitted.
 */
import type { ClusterLiveness } from '../../../contracts/heartbeat';
import { ACTION_IDS } from './action-ids';
import { staleSnapshotNote } from './status-notes';
import { actions, type Block, button, context, message, section, type SlackMessage } from './blocks';
import { escapeMrkdwn, fitText, mention, plural } from './mrkdwn';
import { uncheckedClusterText } from './refusal';
import {
  BUDGET,
  clusterName,
  commandSection,
  effectSection,
  type WarningInput,
  warningsSection,
  yamlBlocks,
} from './parts';

interface PreviewFields {
  cluster: string;
  /** Slack user ID. */
  requester: string;
  /** The canonical form, as it will be recorded and approved. */
  command: string;
  /** What the person typed (after Slack normalisation). */
  text: string;
  policiesYaml: string;
  effect: string;
  warnings: readonly WarningInput[];
  /** What each name was taken to mean (resolveRequest's notes). */
  notes?: readonly string[];
  /** The cluster's worker and snapshot (issue 11): a silent worker's stale snapshot is named. */
  liveness?: { of: ClusterLiveness; now: string };
  /** A request in audit mode on a cluster where no node agent reports (issue 10): why that matters. */
  auditAgentNote?: string;
}

export type PreviewInput = PreviewFields &
  (
    | {
        /** The draft the Submit and Cancel buttons carry. */
        draftId: string;
      }
    | {
        /** Never checked against the cluster: no buttons. `lastSeen`: the cluster's last snapshot, if any. */
        unchecked: { lastSeen?: string };
      }
  );

const NOTES_SHOWN = 8;

export function renderPreview(input: PreviewInput): SlackMessage {
  const blocks: Block[] = [
    section(
      `:mag: *Preview* for ${mention(input.requester)} on cluster ${clusterName(input.cluster)}. ` +
        'Nothing changes until you submit and an approver approves.',
    ),
    commandSection(input.command, input.text),
  ];
  const notes = input.notes ?? [];
  if (notes.length > 0) {
    const lines = notes.slice(0, NOTES_SHOWN).map((n) => `• ${fitText(n, BUDGET.notes / NOTES_SHOWN)}`);
    if (notes.length > NOTES_SHOWN) lines.push(`_…and ${plural(notes.length - NOTES_SHOWN, 'more note')}_`);
    blocks.push(section(`*How names were read*\n${lines.join('\n')}`));
  }
  blocks.push(effectSection(input.effect));
  if (input.auditAgentNote !== undefined)
    blocks.push(context(`:warning: ${escapeMrkdwn(fitText(input.auditAgentNote, BUDGET.notes))}`));
  const stale =
    input.liveness === undefined ? undefined : staleSnapshotNote(input.liveness.of, input.liveness.now);
  if (stale !== undefined) blocks.push(context(stale));
  blocks.push(warningsSection(input.warnings));
  blocks.push(...yamlBlocks(input.policiesYaml, { title: '*Policies (YAML)*' }));
  if ('unchecked' in input) {
    const why = uncheckedClusterText(input.cluster, input.unchecked.lastSeen);
    blocks.push(
      section(`:no_entry_sign: *Cannot be submitted:* ${why}`),
      context(`Only you can see this preview · cluster ${clusterName(input.cluster)}`),
    );
    return message(
      `Preview on cluster ${input.cluster} for ${mention(input.requester)}: ${escapeMrkdwn(input.command)} (cannot be submitted: ${why})`,
      blocks,
    );
  }
  blocks.push(
    actions('netpol_preview', [
      button({
        actionId: ACTION_IDS.submit,
        text: 'Submit for approval',
        value: input.draftId,
        style: 'primary',
      }),
      button({ actionId: ACTION_IDS.cancel, text: 'Cancel', value: input.draftId }),
    ]),
    context(`Only you can see this preview · cluster ${clusterName(input.cluster)}`),
  );
  return message(
    `Preview on cluster ${input.cluster} for ${mention(input.requester)}: ${escapeMrkdwn(input.command)} (submit or cancel)`,
    blocks,
  );
}
