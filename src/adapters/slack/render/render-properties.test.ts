/**
 * Property checks: whatever the text, sizes and states, every message keeps Slack's limits and
 * netpol's escaping, Approve/Reject exist only while a request can be decided and carry only its id.
 */
import fc from 'fast-check';
import { checkMessageContent } from '../../../devtools/slack/block-kit-limits';
import { NetpolError } from '../../../core/errors';
import type { RequestState } from '../../../contracts/request-record';
import { ACTION_IDS, approveButtonValue } from './action-ids';
import type { SlackMessage } from './blocks';
import { buttonsOf, messageProblems } from './check-message';
import { renderApprovalMessage } from './approval-message';
import { renderError } from './error-reply';
import { renderFullYaml } from './full-yaml';
import { renderHelp, renderHistory, renderPending } from './lists';
import { renderOutcomeReply, renderSubmitted } from './outcome-reply';
import { renderPreview } from './preview';
import { renderRefusal } from './refusal';
import { AUDIT, NOW, record, YAML } from '../../../../test/support/slack-render-fixtures';

const STATES: RequestState[] = [
  'pending-approval',
  'approved',
  'applying',
  'applied',
  'rejected',
  'expired',
  'failed',
];

/** Text with the characters that matter: entities, mentions, fences, newlines, long runs. */
const nasty = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        '<',
        '>',
        '&',
        '<!channel>',
        '<@U123ABC>',
        '```',
        '`',
        '\n',
        '*',
        '_',
        '&amp;',
        'é',
        '🚀',
      ),
      fc.string({ minLength: 500, maxLength: 3000 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

function expectClean(messages: SlackMessage | SlackMessage[]): void {
  for (const m of Array.isArray(messages) ? messages : [messages]) {
    expect(messageProblems(m)).toEqual([]);
    expect(checkMessageContent(m)).toBeUndefined();
  }
}

const runs = { numRuns: 60 };

describe('renderer properties', () => {
  it('approval messages: limits, escaping, and buttons only while decidable', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STATES),
        nasty,
        nasty,
        nasty,
        fc.array(nasty, { maxLength: 40 }),
        nasty,
        fc.array(fc.stringMatching(/^[a-z0-9-]{1,63}$/), { maxLength: 80 }),
        fc.boolean(),
        (state, text, command, effect, warnings, yaml, namespaces, late) => {
          const r = record(state, {
            text,
            command,
            effect,
            warnings,
            namespaces,
            reason: text,
            cluster: command.slice(0, 60) || 'c',
          });
          const now = late ? '2030-01-01T00:00:00Z' : NOW;
          // Thread posted: a YAML too long for the card has its buttons only then (approval-thread.test.ts).
          const m = renderApprovalMessage(r, { yaml: yaml + YAML, now, fullYamlPosted: true });
          expectClean(m);
          const buttons = buttonsOf(m);
          if (state === 'pending-approval' && !late) {
            expect(buttons).toEqual([
              { actionId: ACTION_IDS.approve, value: approveButtonValue(r.id, r.policyHash) },
              { actionId: ACTION_IDS.reject, value: r.id },
            ]);
          } else {
            expect(buttons).toEqual([]);
          }
          expectClean(renderOutcomeReply(r));
          expectClean(renderSubmitted(r));
          expectClean(renderPending({ records: [r, r], now }));
        },
      ),
      runs,
    );
  });

  it('previews, errors, refusals, help, history and full YAML keep the limits whatever the text', () => {
    fc.assert(
      fc.property(
        nasty,
        nasty,
        nasty,
        fc.array(nasty, { maxLength: 20 }),
        fc.integer({ min: 1, max: 6000 }),
        (a, b, c, list, column) => {
          expectClean(
            renderPreview({
              cluster: 'prod',
              requester: 'U1ABC',
              command: a,
              text: b,
              policiesYaml: c,
              effect: a,
              warnings: list,
              draftId: 'd-1',
              notes: list,
            }),
          );
          expectClean(
            renderError(new NetpolError('E_SYNTAX', a, { column, hint: b }), { cluster: 'prod', text: c }),
          );
          expectClean(renderRefusal(a, { cluster: 'prod', user: 'U1ABC' }));
          expectClean(renderHelp(a + b + c));
          expectClean(renderFullYaml({ cluster: 'prod', requestId: 'r-1', yaml: c + b + a }));
          expectClean(
            renderHistory({
              cluster: 'prod',
              namespace: a.slice(0, 63) || 'ns',
              entries: list.map((detail, i) => ({
                ...AUDIT[i % AUDIT.length]!,
                detail,
                actor: i % 2 === 0 ? b.slice(0, 30) : 'U1ABC',
              })),
            }),
          );
        },
      ),
      runs,
    );
  });
});
