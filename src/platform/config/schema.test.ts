/**
 * What the one schema (schema.ts) adds over the hand-written checks it replaced: a value is named
 * where it came from (the variable, not the file field it stands for), typos inside nested mappings
 * are reported too, and a number is quoted as it was typed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netpolErrorOf } from '../../../test/support/netpol-error';
import { loadBotConfig, loadWorkerConfig } from './load-config';
import { ENVIRONMENT } from './schema';

const BOT = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', NETPOL_APPROVERS: 'U0ALICE' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-schema-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a bad value is named by the variable it came from', () => {
  const message = netpolErrorOf(() =>
    loadBotConfig({ ...BOT, NETPOL_APPROVAL_CHANNEL: 'approvals', NETPOL_REQUEST_TTL: 'soon' }),
  ).message;
  expect(message).toContain('NETPOL_APPROVAL_CHANNEL: "approvals" is not a channel ID (like C0123ABCD)');
  expect(message).toContain('NETPOL_REQUEST_TTL: "soon" is not a duration like 24h, 30m or 90s');
  expect(message).toContain('(2 problems)');
});

test('unknown fields inside approvers and dns are named, with the fields expected', () => {
  const path = join(dir, 'netpol.yaml');
  writeFileSync(
    path,
    'approvalChannel: C0APPROVE\napprovers: { defaults: { users: [U0BOB] } }\ndns: { namepsace: kube-system }\n',
  );
  const message = netpolErrorOf(() => loadBotConfig({ ...BOT, NETPOL_CONFIG: path })).message;
  expect(message).toContain('approvers.defaults: unknown field (expected default, namespaces)');
  expect(message).toContain('dns.namepsace: unknown field (expected namespace, podLabels, port)');
});

test('numbers are quoted as typed, and --cluster is checked like NETPOL_CLUSTER', () => {
  const message = netpolErrorOf(() =>
    loadWorkerConfig({ NETPOL_WORKER_CONCURRENCY: '65' }, ['--cluster', 'Prod']),
  ).message;
  expect(message).toContain('NETPOL_WORKER_CONCURRENCY: "65" must be a whole number from 1 to 64');
  expect(message).toContain('NETPOL_CLUSTER: "Prod" is not a valid cluster name');
});

test('each process names its variables as they are spelled, each with what it means', () => {
  for (const [process, variables] of Object.entries(ENVIRONMENT))
    for (const [name, variable] of Object.entries(variables)) {
      expect(`${process} ${variable.name}`).toBe(`${process} ${name}`);
      expect(variable.doc).not.toBe('');
    }
});
