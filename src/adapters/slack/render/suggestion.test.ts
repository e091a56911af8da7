/**
 * Golden files of the suggestion message (issue 10), checked against Slack's limits by netpol's
 * rules and the stand-in's validator. `UPDATE_GOLDEN=1 npx jest src/adapters/slack/render` rewrites.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkMessageContent } from '../../../devtools/slack/block-kit-limits';
import { messageProblems } from './check-message';
import { renderSuggestion, type SuggestionFlowView, type SuggestionInput } from './suggestion';

const GOLDEN_DIR = path.join(__dirname, '../../../../test/golden/slack');

function expectGolden(name: string, value: unknown): void {
  const file = path.join(GOLDEN_DIR, `${name}.json`);
  const actual = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, actual);
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

const flow = (id: number, overrides: Partial<SuggestionFlowView> = {}): SuggestionFlowView => ({
  id: `f${id}`,
  source: 'frontend/nginx',
  destination: 'backend/api',
  port: `tcp/${8000 + id}`,
  verdict: 'allowed',
  count: 1204,
  ticked: true,
  ...overrides,
});

const BASE: SuggestionInput = {
  cluster: 'prod',
  requester: 'U0ALICE001',
  namespace: 'backend',
  suggestionId: 'r-20261202-abcdef',
  flows: [
    flow(1),
    flow(2, {
      source: 'backend/api',
      destination: '203.0.113.0/28 (api.example.com)',
      port: 'tcp/443',
      count: 3,
    }),
    flow(3, {
      source: 'frontend/nginx',
      destination: 'backend/db',
      port: 'tcp/5432',
      verdict: 'blocked',
      count: 12,
      ticked: false,
    }),
  ],
  requests: [
    'deny egress from backend/app=api except 203.0.113.0/28 on tcp/443',
    'deny ingress to backend/app=api except frontend/app=nginx on tcp/8001',
    'deny all in backend',
  ],
  unattributed: [
    { flow: 'backend/job-x → backend/db tcp/5432', why: 'backend/job-x has no labels to select it by' },
  ],
  notShown: 0,
  // The agents saved their retention with the flows (their NETPOL_FLOW_RETENTION, here 14d).
  retention: { ms: 14 * 86_400_000, reported: true },
};
/** No agent saved its retention: only the default is known. */
const UNREPORTED: SuggestionInput['retention'] = { ms: 7 * 86_400_000, reported: false };

const CASES: Record<string, SuggestionInput> = {
  suggestion: BASE,
  'suggestion-many': {
    ...BASE,
    flows: Array.from({ length: 23 }, (_, i) =>
      flow(i + 1, {
        source: `frontend/a-very-long-workload-name-that-goes-on-${i}`,
        destination: 'backend/another-long-name',
      }),
    ),
    unattributed: [],
    notShown: 5,
  },
  'suggestion-empty': { ...BASE, flows: [], requests: [], unattributed: [], retention: UNREPORTED },
  'suggestion-unreported': { ...BASE, retention: UNREPORTED },
};

describe('renderSuggestion', () => {
  for (const [name, input] of Object.entries(CASES)) {
    it(`${name} matches its golden file and Slack's limits`, () => {
      const message = renderSuggestion(input);
      expectGolden(name, message);
      expect(messageProblems(message)).toEqual([]);
      expect(checkMessageContent(message)).toBeUndefined();
    });
  }

  it('one checkbox per flow, ten per section, the ticked ones initially selected', () => {
    const message = renderSuggestion(CASES['suggestion-many']!);
    const boxes = message.blocks.flatMap((b) => (b.type === 'section' && b.accessory ? [b.accessory] : []));
    expect(boxes.map((b) => b.options.length)).toEqual([10, 10, 3]);
    for (const b of boxes) for (const o of b.options) expect(o.text.text.length).toBeLessThanOrEqual(75);
    const base = renderSuggestion(BASE);
    const [only] = base.blocks.flatMap((b) => (b.type === 'section' && b.accessory ? [b.accessory] : []));
    expect(only!.initial_options!.map((o) => o.value)).toEqual(['f1', 'f2']);
    expect(JSON.stringify(base.blocks)).toContain('keeps blocking it unless ticked');
  });

  it("names the agents' retention when they reported it, and otherwise claims only their default", () => {
    const first = (input: SuggestionInput) => JSON.stringify(renderSuggestion(input).blocks[0]);
    expect(first(BASE)).toContain('allow exactly the 3 flows seen in the last 14 days, deny the rest');
    expect(first(CASES['suggestion-unreported']!)).toContain(
      'allow exactly the 3 flows the agents keep (for their `NETPOL_FLOW_RETENTION`, 7 days by default)',
    );
    expect(first({ ...BASE, flows: [] })).toContain('and keep them 14 days.');
    const kept = (ms: number) => first({ ...BASE, retention: { ms, reported: true } });
    expect(kept(86_400_000)).toContain('seen in the last 1 day,');
    expect(kept(36 * 3_600_000)).toContain('seen in the last 36 hours,');
    expect(kept(90 * 60_000)).toContain('seen in the last 90 minutes,');
    expect(first(CASES['suggestion-empty']!)).toContain(
      'and keep them for their `NETPOL_FLOW_RETENTION`, 7 days by default.',
    );
  });

  it("is what the Slack stand-in refuses when a checkbox element breaks Slack's limits", () => {
    const message = renderSuggestion(BASE);
    const boxes = message.blocks.find((b) => b.type === 'section' && b.accessory !== undefined)!;
    if (boxes.type !== 'section' || boxes.accessory === undefined) throw new Error('no checkboxes');
    const eleven = Array.from({ length: 11 }, (_, i) => ({
      ...boxes.accessory!.options[0]!,
      value: `f${i}`,
    }));
    const tooMany = {
      ...message,
      blocks: [{ ...boxes, accessory: { ...boxes.accessory, options: eleven, initial_options: [] } }],
    };
    expect(JSON.stringify(checkMessageContent(tooMany))).toContain('no more than 10 items allowed');
    const stray = {
      ...message,
      blocks: [
        {
          ...boxes,
          accessory: {
            ...boxes.accessory,
            initial_options: [{ ...boxes.accessory.options[0]!, value: 'nope' }],
          },
        },
      ],
    };
    expect(JSON.stringify(checkMessageContent(stray))).toContain('must match one of the options');
  });
});
