/**
 * `netpol show`'s text, pinned by golden files in test/golden/cli/ (the same inputs as the Slack
 * show-* golden files, so the two answers can be read side by side). `UPDATE_GOLDEN=1 npx jest
 * src/cli/show-text` rewrites them; review the diff before committing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { summariseNamespace } from '../core/query/namespace-summary';
import { policy } from '../../test/support/cluster-builders';
import {
  allowPolicy,
  APPROVER,
  cluster,
  DB_EGRESS,
  DEFAULT_DENY,
} from '../../test/support/slack-render-fixtures';
import { renderShowText } from './show-text';

const GOLDEN_DIR = path.resolve(__dirname, '../../test/golden/cli');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function expectGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, `${name}.txt`);
  if (UPDATE) {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  if (!fs.existsSync(file)) {
    throw new Error(
      `golden file test/golden/cli/${name}.txt is missing: create it with ` +
        '`UPDATE_GOLDEN=1 npx jest src/cli/show-text`, review it, and commit it',
    );
  }
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

const manyPolicies = Array.from({ length: 30 }, (_, i) =>
  policy(`backend/allow-port-${String(8000 + i)}`, {
    podSelector: { matchLabels: { app: 'api' } },
    policyTypes: ['Ingress'],
    ingress: [{ ports: [{ port: 8000 + i }] }],
  }),
);

const CASES: Record<string, () => string> = {
  'show-backend': () =>
    renderShowText(
      summariseNamespace(cluster([DEFAULT_DENY, DB_EGRESS, allowPolicy({ approver: APPROVER })]), 'backend'),
    ),
  'show-open-namespace': () => renderShowText(summariseNamespace(cluster(), 'frontend')),
  'show-unknown-namespace': () => renderShowText(summariseNamespace(cluster(), 'nope')),
  'show-many-policies': () => renderShowText(summariseNamespace(cluster(manyPolicies), 'backend')),
};

describe('netpol show text', () => {
  it.each(Object.keys(CASES))('%s', (name) => {
    expectGolden(name, CASES[name]!());
  });

  it('names every policy, however many (a terminal has no message limit)', () => {
    const text = CASES['show-many-policies']!();
    for (const p of manyPolicies) expect(text).toContain(`- ${p.metadata.name} (2 pods): `);
    expect(text).toContain('Ingress: 2 of 3 pods isolated (api-5f7b9c-aaaaa, api-5f7b9c-bbbbb)');
  });

  it('carries no Slack markup', () => {
    for (const render of Object.values(CASES)) expect(render()).not.toMatch(/[*_`]|<@|&lt;|:mag:/);
  });
});
