/**
 * Pieces several messages share: the command as typed and canonical, the effect, the warnings, the
 * YAML (truncated with a note), and the "cluster · person" line every reply carries. Each piece
 * keeps to a character budget so a message made of them stays under Slack's total size.
 */
import type { Warning } from '../../../core/policy/warnings';
import { type Block, context, section } from './blocks';
import { codeBlockEscaped, escapeMrkdwn, fitLines, fitText, mention, plural, verbatim } from './mrkdwn';
import { SECTION_BUDGET } from './layout';

export const BUDGET = Object.freeze({
  command: 900,
  typed: 600,
  effect: 2200,
  notes: 1200,
  warning: 500,
  warnings: 2400,
  warningsShown: 8,
  yaml: 2800,
});

/** `*prod*` */
export function clusterName(cluster: string): string {
  return `*${escapeMrkdwn(cluster)}*`;
}

/** `cluster *prod* · <@U1>`: the context line naming where and for whom. */
export function whereAndWho(cluster: string | undefined, user: string | undefined): string {
  const parts: string[] = [];
  if (cluster !== undefined) parts.push(`cluster ${clusterName(cluster)}`);
  if (user !== undefined && user !== '') parts.push(mention(user));
  return parts.join(' · ');
}

/** The canonical command in a code block, and what the person typed when it differs. */
export function commandSection(command: string, typed: string | undefined): Block {
  const fitted = fitLines(command, BUDGET.command, { code: true });
  let text = `*Command*\n${codeBlockEscaped(fitted.text)}`;
  const t = typed?.trim();
  if (t !== undefined && t !== '' && t !== command.trim())
    text += `\n_As typed:_ ${verbatim(t, BUDGET.typed)}`;
  return section(text);
}

export function effectSection(effect: string): Block {
  const body = effect.trim() === '' ? '_not computed_' : fitText(effect, BUDGET.effect);
  return section(`*Effect*\n${body}`);
}

/** A Warning, or the formatted string a RequestRecord stores (`warning W001_X: message`). */
export type WarningInput = Warning | string;

export function warningParts(warning: WarningInput): { code?: string; message: string } {
  if (typeof warning !== 'string') return warning;
  const match = /^(?:warning\s+)?(W\d{3}[A-Z0-9_]*):\s*([\s\S]*)$/.exec(warning.trim());
  return match === null ? { message: warning } : { code: match[1]!, message: match[2]! };
}

/** `*Warnings (2)*` with one bullet each, or a reassuring line when there are none. */
export function warningsSection(warnings: readonly WarningInput[]): Block {
  if (warnings.length === 0) return section('*Warnings*\nNone.');
  const lines: string[] = [];
  let used = 0;
  let shown = 0;
  for (const w of warnings) {
    const { code, message } = warningParts(w);
    const line = `:warning: ${code === undefined ? '' : `\`${escapeMrkdwn(code)}\` `}${fitText(message, BUDGET.warning)}`;
    if (shown >= BUDGET.warningsShown || used + line.length + 1 > BUDGET.warnings) break;
    lines.push(line);
    used += line.length + 1;
    shown++;
  }
  if (shown < warnings.length) lines.push(`_…and ${plural(warnings.length - shown, 'more warning')}_`);
  return section(`*Warnings (${warnings.length})*\n${lines.join('\n')}`);
}

/** The YAML in a code block, cut to whole lines with a note when it is too long. */
export function yamlBlocks(yaml: string, options: { title: string; truncatedNote?: string }): Block[] {
  const budget = Math.min(BUDGET.yaml, SECTION_BUDGET - options.title.length - 10);
  const fitted = fitLines(yaml, budget, { code: true });
  const blocks: Block[] = [section(`${options.title}\n${codeBlockEscaped(fitted.text)}`)];
  if (fitted.truncated) {
    const note = `:scissors: YAML truncated: ${fitted.shownLines} of ${fitted.totalLines} lines shown.`;
    blocks.push(context(options.truncatedNote === undefined ? note : `${note} ${options.truncatedNote}`));
  }
  return blocks;
}
