/**
 * A request whose YAML cannot fit on an approval card: `allow frontend/app=a0|...|frontend/app=a189|
 * 0.0.0.0/0 to backend on 80` (190 alternatives and a CIDR), planned by the same pipeline as the
 * bot's previews. Its `netpol.io/command` annotation alone is longer than a Slack section.
 */
import { LINE_CONTINUES_NOTE } from '../../src/adapters/slack/render/layout';
import type { NetworkPolicy } from '../../src/core/k8s/types';
import { renderPolicies } from '../../src/core/policy/render-policies';
import type { Provenance } from '../../src/core/policy/provenance';
import { parseRequest } from '../../src/core/request/parser';
import { planRequest } from '../../src/core/use-cases/plan-request';

export const WIDE_ALTERNATIVES = 190;

export const WIDE_REQUEST_TEXT = `allow ${Array.from(
  { length: WIDE_ALTERNATIVES },
  (_, i) => `frontend/app=a${i}`,
).join('|')}|0.0.0.0/0 to backend on 80`;

export function widePlan(provenance: Provenance = {}): {
  command: string;
  policies: NetworkPolicy[];
  yaml: string;
} {
  const plan = planRequest(parseRequest(WIDE_REQUEST_TEXT), undefined, { provenance });
  if (plan.kind !== 'policies') throw new Error('the wide request did not plan to policies');
  return { command: plan.command, policies: plan.policies, yaml: renderPolicies(plan.policies, 'yaml') };
}

const unescape = (s: string): string =>
  s
    .replace(/`\u200b/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/**
 * The thread's YAML as an approver reads it: its code blocks in order, one line each, except that a
 * block closed by LINE_CONTINUES_NOTE goes on in the next one.
 */
export function threadYaml(messages: readonly { blocks?: unknown[] }[]): string {
  let out = '';
  for (const m of messages) {
    for (const block of m.blocks ?? []) {
      const text = (block as { type?: string; text?: { text?: string } }).text?.text;
      if ((block as { type?: string }).type !== 'section' || text === undefined) continue;
      const match = /^```([\s\S]*)```(\n.*)?$/.exec(text);
      if (match === null) throw new Error(`not a code block: ${text.slice(0, 80)}`);
      out += unescape(match[1]!);
      if (match[2] === undefined) out += '\n';
      else if (match[2] !== `\n${LINE_CONTINUES_NOTE}`) throw new Error(`unexpected note ${match[2]}`);
    }
  }
  return out;
}
