/**
 * The approver lookup, given namespaces named like the properties every object inherits (issue 7,
 * defect 3): a namespace called `constructor` (a valid name) with no rule of its own falls to the
 * default approvers, and one with a rule uses that rule, whether the config was loaded from a file or
 * built by hand with a plain `{}`.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApproverRule, BotConfig } from '../platform/config/config';
import { loadBotConfig } from '../platform/config/load-config';
import { approverRuleFor, namespacesNotApprovable } from './authorize';
import { INHERITED_NAMES, ownEntries } from '../../test/support/inherited-names';

const DEFAULT: ApproverRule = { users: ['U0DEFAULT'], groups: [] };
const OWN: ApproverRule = { users: ['U0OWNER'], groups: [] };
const noGroups = async (): Promise<readonly string[]> => [];

function approvers(namespaces: Record<string, ApproverRule>): Pick<BotConfig, 'approvers'> {
  return { approvers: { default: DEFAULT, namespaces } };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-approvers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loaded(namespacesYaml: string): BotConfig {
  const path = join(dir, 'netpol.yaml');
  writeFileSync(
    path,
    `approvalChannel: C0APPROVE\napprovers:\n  default: { users: [U0DEFAULT] }\n  namespaces:\n${namespacesYaml}`,
  );
  return loadBotConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', NETPOL_CONFIG: path });
}

describe('approverRuleFor and namespacesNotApprovable, given inherited property names', () => {
  it.each(INHERITED_NAMES)(
    'a namespace %s without a rule of its own has the default approvers',
    async (ns) => {
      for (const config of [
        approvers({}),
        approvers({ backend: OWN }),
        loaded('    backend: { users: [U0OWNER] }\n'),
      ]) {
        expect(approverRuleFor(config, ns)).toEqual(DEFAULT);
        expect(await namespacesNotApprovable(config, [ns], 'U0DEFAULT', noGroups)).toEqual([]);
        expect(await namespacesNotApprovable(config, [ns], 'U0OWNER', noGroups)).toEqual([ns]);
      }
    },
  );

  it.each(INHERITED_NAMES)('a namespace %s with a rule of its own uses that rule', async (ns) => {
    const config = approvers(ownEntries([[ns, OWN]]));
    expect(approverRuleFor(config, ns)).toEqual(OWN);
    expect(await namespacesNotApprovable(config, [ns], 'U0OWNER', noGroups)).toEqual([]);
    expect(await namespacesNotApprovable(config, [ns, 'backend'], 'U0DEFAULT', noGroups)).toEqual([ns]);
  });

  it('uses the rule a config file gives the namespace "constructor"', async () => {
    const config = loaded('    constructor: { users: [U0OWNER] }\n');
    expect(approverRuleFor(config, 'constructor')).toEqual(OWN);
    expect(approverRuleFor(config, 'toString')).toEqual(DEFAULT);
    expect(await namespacesNotApprovable(config, ['constructor'], 'U0DEFAULT', noGroups)).toEqual([
      'constructor',
    ]);
  });

  it('refuses exactly the namespaces whose rule (or the default) does not name the user', async () => {
    const aName = fc.constantFrom(...INHERITED_NAMES, 'backend', 'payments');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(aName, fc.constantFrom(OWN, DEFAULT)), { maxLength: 4 }),
        fc.array(aName, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('U0OWNER', 'U0DEFAULT', 'U0STRANGER'),
        async (rules, touched, user) => {
          const byNamespace = new Map(rules);
          const expected = touched.filter((ns) => !(byNamespace.get(ns) ?? DEFAULT).users.includes(user));
          const config = approvers(ownEntries(rules));
          expect(await namespacesNotApprovable(config, touched, user, noGroups)).toEqual(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
