/**
 * The configuration file, given keys named like the properties every object inherits (issue 7,
 * defect 3): approvers for a namespace named `constructor` are kept as that namespace's rule, no
 * other namespace appears to have a rule, and names that are not namespace or label names are
 * refused by name instead of dropped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dns1123LabelProblem, labelKeyProblem } from '../../core/k8s/names';
import { NetpolError } from '../../core/errors';
import type { BotConfig } from './config';
import { loadBotConfig } from './load-config';
import { INHERITED_NAMES } from '../../../test/support/inherited-names';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-config-keys-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The config, or the E_CONFIG naming `name`; any other outcome fails. */
function loadOrRefuse(yaml: string, name: string, valid: boolean): BotConfig | undefined {
  const path = join(dir, 'netpol.yaml');
  writeFileSync(path, `approvalChannel: C0APPROVE\n${yaml}`);
  try {
    const config = loadBotConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      NETPOL_CONFIG: path,
    });
    if (!valid) throw new Error(`"${name}" is not a valid name here, yet the config loaded`);
    return config;
  } catch (error) {
    if (!(error instanceof NetpolError) || valid) throw error;
    expect(error.code).toBe('E_CONFIG');
    expect(error.message).toContain(name);
    return undefined;
  }
}

describe('loadBotConfig, given inherited property names', () => {
  it.each(INHERITED_NAMES)('keeps approvers for a namespace named %s, or refuses it by name', (ns) => {
    const config = loadOrRefuse(
      `approvers:\n  default: { users: [U0DEFAULT] }\n  namespaces:\n    ${JSON.stringify(ns)}: { users: [U0OWNER] }\n`,
      ns,
      dns1123LabelProblem(ns) === undefined,
    );
    if (config === undefined) return;
    const namespaces = config.approvers.namespaces;
    expect(Object.keys(namespaces)).toEqual([ns]);
    expect(Object.hasOwn(namespaces, ns) && namespaces[ns]).toEqual({ users: ['U0OWNER'], groups: [] });
  });

  it.each(INHERITED_NAMES)('has no approver rule for a namespace %s it does not configure', (ns) => {
    const config = loadOrRefuse(
      'approvers:\n  default: { users: [U0DEFAULT] }\n  namespaces:\n    backend: { users: [U0OWNER] }\n',
      ns,
      true,
    );
    expect(config?.approvers.namespaces[ns]).toBeUndefined();
    expect(JSON.stringify(config?.approvers.namespaces)).toBe(
      '{"backend":{"users":["U0OWNER"],"groups":[]}}',
    );
  });

  it.each(INHERITED_NAMES)('keeps the label key %s in labelKeys and dns.podLabels, or refuses it', (key) => {
    const config = loadOrRefuse(
      `approvers: { default: { users: [U0DEFAULT] } }\nlabelKeys: [${JSON.stringify(key)}]\ndns: { podLabels: { ${JSON.stringify(key)}: x } }\n`,
      key,
      labelKeyProblem(key) === undefined,
    );
    if (config === undefined) return;
    expect(config.labelKeys).toEqual([key]);
    expect(Object.keys(config.keywords.dns.podLabels)).toEqual([key]);
    expect(config.keywords.dns.podLabels[key]).toBe('x');
  });
});
