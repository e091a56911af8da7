import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBotConfig, loadWorkerConfig, parseDuration } from './load-config';
import { netpolErrorOf } from '../../../test/support/netpol-error';

const MINIMAL = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret',
  NETPOL_APPROVAL_CHANNEL: 'C0APPROVE',
  NETPOL_APPROVERS: 'U0ALICE,U0BOB',
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadBotConfig', () => {
  it('accepts a minimal environment and fills the defaults', () => {
    const config = loadBotConfig(MINIMAL);
    expect(config).toMatchObject({
      slack: { mode: 'http', botToken: 'xoxb-1', signingSecret: 'secret', port: 3000 },
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'netpol',
      clusters: ['default'],
      defaultCluster: 'default',
      approvalChannel: 'C0APPROVE',
      approvers: { default: { users: ['U0ALICE', 'U0BOB'], groups: [] }, namespaces: {} },
      requestTtlMs: 86_400_000,
      labelKeys: ['app', 'app.kubernetes.io/name', 'k8s-app', 'name'],
    });
    expect(Object.isFrozen(config.approvers.default.users)).toBe(true);
  });

  it('chooses Socket Mode when an app token is set', () => {
    expect(
      loadBotConfig({ ...MINIMAL, SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1' }).slack.mode,
    ).toBe('socket');
  });

  it('reports every problem at once, each naming what to fix', () => {
    const error = netpolErrorOf(() =>
      loadBotConfig({
        SLACK_BOT_TOKEN: 'xoxp-user',
        PORT: 'eighty',
        REDIS_URL: 'localhost',
        SLACK_API_URL: 'ftp://x',
        LOG_LEVEL: 'loud',
      }),
    );
    expect(error.code).toBe('E_CONFIG');
    for (const fragment of [
      'SLACK_BOT_TOKEN: must be a bot token starting with xoxb-',
      'SLACK_SIGNING_SECRET: is required for the HTTP receiver',
      'PORT: "eighty" is not a port number',
      'REDIS_URL: "localhost" is not a redis:// or rediss:// URL',
      'SLACK_API_URL',
      'approvalChannel: is required',
      'approvers: nobody may approve',
      'LOG_LEVEL: "loud"',
    ]) {
      expect(error.message).toContain(fragment);
    }
    expect(error.message).toContain('(8 problems)');
  });

  it('reads the YAML file: clusters, approvers per namespace, requesters, expiry', () => {
    const path = join(dir, 'netpol.yaml');
    writeFileSync(
      path,
      `clusters: [prod, staging]
defaultCluster: prod
approvalChannel: C0APPROVE
approvers:
  default: { users: [U0ALICE], groups: [S0SRE] }
  namespaces:
    backend: { users: [U0BOB] }
requesters: { channels: [C0NETPOL] }
requestTtl: 2h
`,
    );
    const config = loadBotConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      NETPOL_CONFIG: path,
    });
    expect(config.clusters).toEqual(['prod', 'staging']);
    expect(config.approvers.namespaces.backend).toEqual({ users: ['U0BOB'], groups: [] });
    expect(config.approvers.default.groups).toEqual(['S0SRE']);
    expect(config.requesters.channels).toEqual(['C0NETPOL']);
    expect(config.requestTtlMs).toBe(7_200_000);
  });

  it('names the line of a YAML error and every bad field of the file', () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'clusters: [prod\n');
    expect(netpolErrorOf(() => loadBotConfig({ ...MINIMAL, NETPOL_CONFIG: broken })).message).toMatch(
      /broken\.yaml:\d+:\d+: invalid YAML/,
    );
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'clusters: [prod, prod, Bad_Name]\napprovers: { default: { users: [alice] } }\nrequestTtl: soon\ncolour: blue\n',
    );
    const message = netpolErrorOf(() => loadBotConfig({ ...MINIMAL, NETPOL_CONFIG: bad })).message;
    expect(message).toContain('cluster "prod" is listed twice');
    expect(message).toContain('"Bad_Name" is not a valid cluster name');
    expect(message).toContain('approvers.default.users: "alice" is not a valid ID');
    expect(message).toContain('requestTtl: "soon" is not a duration');
    expect(message).toContain('colour: unknown field');
    expect(
      netpolErrorOf(() => loadBotConfig({ ...MINIMAL, NETPOL_CONFIG: join(dir, 'none.yaml') })).message,
    ).toContain('no such file');
  });

  it('has no default cluster when there are several, unless one is named', () => {
    expect(loadBotConfig({ ...MINIMAL, NETPOL_CLUSTERS: 'a,b' }).defaultCluster).toBe('');
    expect(
      loadBotConfig({ ...MINIMAL, NETPOL_CLUSTERS: 'a,b', NETPOL_DEFAULT_CLUSTER: 'b' }).defaultCluster,
    ).toBe('b');
    expect(
      netpolErrorOf(() => loadBotConfig({ ...MINIMAL, NETPOL_CLUSTERS: 'a,b', NETPOL_DEFAULT_CLUSTER: 'c' }))
        .message,
    ).toContain('"c" is not among the clusters');
  });
});

describe('loadWorkerConfig', () => {
  it('takes the cluster from --cluster or NETPOL_CLUSTER', () => {
    expect(loadWorkerConfig({}, ['--cluster', 'prod'])).toMatchObject({
      cluster: 'prod',
      fieldManager: 'netpol',
      concurrency: 4,
    });
    expect(loadWorkerConfig({ NETPOL_CLUSTER: 'dev', KUBECONFIG: '/k' }).kubeconfig).toBe('/k');
  });

  it('reports a missing cluster and bad values together', () => {
    const message = netpolErrorOf(() =>
      loadWorkerConfig({ NETPOL_WORKER_CONCURRENCY: '0' }, ['--bogus']),
    ).message;
    expect(message).toContain('NETPOL_CLUSTER: is required');
    expect(message).toContain('NETPOL_WORKER_CONCURRENCY');
    expect(message).toContain('unknown argument "--bogus"');
  });

  it('turns drop alerts on with NETPOL_ALERT_CHANNEL, routes namespaces and reads the window', () => {
    expect(loadWorkerConfig({ NETPOL_CLUSTER: 'prod' }).alerts).toBeUndefined();
    const config = loadWorkerConfig({
      NETPOL_CLUSTER: 'prod',
      NETPOL_ALERT_CHANNEL: 'C0ALERTS',
      NETPOL_ALERT_CHANNELS: 'backend=C0BACKEND, frontend=C0FRONT',
    });
    expect(config.alerts).toEqual({
      defaultChannel: 'C0ALERTS',
      channels: { backend: 'C0BACKEND', frontend: 'C0FRONT' },
      windowMs: 300_000,
    });
    const message = netpolErrorOf(() =>
      loadWorkerConfig({
        NETPOL_CLUSTER: 'prod',
        NETPOL_ALERT_CHANNEL: 'alerts',
        NETPOL_ALERT_CHANNELS: 'backend:C0BACKEND',
        NETPOL_ALERT_WINDOW: 'soon',
      }),
    ).message;
    expect(message).toContain('NETPOL_ALERT_CHANNEL: "alerts" is not a channel ID');
    expect(message).toContain('NETPOL_ALERT_CHANNELS: "backend:C0BACKEND" is not namespace=channel');
    expect(message).toContain('NETPOL_ALERT_WINDOW: "soon" is not a duration');
  });
});

describe('parseDuration', () => {
  it.each([
    ['24h', 86_400_000],
    ['30m', 1_800_000],
    ['90s', 90_000],
    ['1500', 1500],
    ['0', undefined],
    ['soon', undefined],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));
});
