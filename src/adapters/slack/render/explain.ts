/**
 * "Why": each connection's verdict with one line for the source's egress and one for the
 * destination's ingress (REFERENCE.md §6.2.3), so the reader sees which side refuses. Long answers
 * keep the first connections and say how many more were allowed and denied.
 */
import type { ConnectionVerdict, SideVerdict } from '../../../core/evaluator';
import type { Protocol } from '../../../core/k8s/types';
import { type Block, context, message, section, type SlackMessage } from './blocks';
import { escapeMrkdwn, fitText, plural } from './mrkdwn';
import { packSections, paginateSections } from './layout';
import { clusterName, whereAndWho } from './parts';

export interface ExplainInput {
  cluster: string;
  /** Who asked (Slack user ID). */
  user?: string;
  /** `auditNote`: what policies in audit mode would change once enforced (issue 10). */
  verdicts: readonly { verdict: ConnectionVerdict; port: number; protocol: Protocol; auditNote?: string }[];
}

const REASON_BUDGET = 900;

function sideLine(side: SideVerdict): string {
  const mark = side.allowed ? ':white_check_mark:' : ':no_entry:';
  const what = side.direction === 'Egress' ? 'egress of' : 'ingress of';
  return `     ${mark} ${what} ${escapeMrkdwn(side.endpoint)}: ${fitText(side.reason, REASON_BUDGET)}`;
}

function verdictLines(v: ExplainInput['verdicts'][number]): string {
  const { verdict } = v;
  const from = escapeMrkdwn(verdict.egress.endpoint);
  const to = escapeMrkdwn(verdict.ingress.endpoint);
  const answer = verdict.allowed ? ':white_check_mark: *allowed*' : ':no_entry: *denied*';
  const head = `*${from} → ${to}* on ${v.protocol}/${v.port}: ${answer}`;
  if (verdict.self) return `${head}\n     a pod's traffic to itself never leaves it: always allowed`;
  const audit = v.auditNote === undefined ? [] : [`     :mag_right: ${escapeMrkdwn(v.auditNote)}`];
  return [head, sideLine(verdict.egress), sideLine(verdict.ingress), ...audit].join('\n');
}

export function renderExplain(input: ExplainInput): SlackMessage {
  const allowed = input.verdicts.filter((v) => v.verdict.allowed).length;
  const denied = input.verdicts.length - allowed;
  const summary =
    input.verdicts.length === 0
      ? 'no connection matches the question (no pod on either side?)'
      : `${plural(input.verdicts.length, 'connection')}: ${allowed} allowed, ${denied} denied`;
  const head = section(`:mag: *Why* on cluster ${clusterName(input.cluster)}: ${summary}`);
  const sections = packSections(input.verdicts.map(verdictLines));
  const [body = []] = paginateSections(sections, {
    reserveBlocks: 2,
    reserveChars: 600,
    maxPages: 1,
    moreNote: (omitted) =>
      `_…${plural(omitted, 'more connection')} not shown; ask about fewer pods to see them._`,
  });
  const blocks: Block[] = [head, ...body, context(whereAndWho(input.cluster, input.user))];
  return message(`Why on cluster ${escapeMrkdwn(input.cluster)}: ${summary}`, blocks);
}
