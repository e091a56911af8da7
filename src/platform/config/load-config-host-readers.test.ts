/**
 * HOST (where the HTTP receiver listens) and `readers` (who may read the cluster): defaults that
 * keep today's behaviour, values accepted, and invalid values reported as configuration errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBotConfig } from './load-config';
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

function withFile(yaml: string): Record<string, string> {
  const path = join(dir, `netpol-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, yaml);
  return { ...MINIMAL, NETPOL_CONFIG: path };
}

describe('HOST', () => {
  it('defaults to every IPv4 interface', () => {
    expect(loadBotConfig(MINIMAL).slack.host).toBe('0.0.0.0');
  });

  it('takes an IPv4 or IPv6 address or a host name', () => {
    for (const host of ['127.0.0.1', '::1', '::', 'localhost', 'bot.internal.example.com'])
      expect(loadBotConfig({ ...MINIMAL, HOST: host }).slack.host).toBe(host);
  });

  it('refuses anything else as a configuration error naming HOST', () => {
    for (const host of ['127.0.0.1:3000', 'http://0.0.0.0', 'not a host', '-bad-']) {
      const error = netpolErrorOf(() => loadBotConfig({ ...MINIMAL, HOST: host }));
      expect(error.code).toBe('E_CONFIG');
      expect(error.message).toContain(`HOST: "${host}" is not an IP address or host name`);
    }
  });
});

describe('readers', () => {
  it('defaults to everyone everywhere', () => {
    expect(loadBotConfig(MINIMAL).readers).toEqual({ channels: [], users: [], groups: [] });
  });

  it('reads channels, users and groups from the file', () => {
    const config = loadBotConfig(
      withFile('readers: { channels: [C0NETPOL], users: [U0CAROL], groups: [S0SRETEAM] }\n'),
    );
    expect(config.readers).toEqual({ channels: ['C0NETPOL'], users: ['U0CAROL'], groups: ['S0SRETEAM'] });
    expect(Object.isFrozen(config.readers.groups)).toBe(true);
  });

  it('reports every invalid entry and unknown field at once', () => {
    const error = netpolErrorOf(() =>
      loadBotConfig(withFile('readers: { channels: [netpol], users: [carol], groups: [sre], teams: [x] }\n')),
    );
    expect(error.code).toBe('E_CONFIG');
    expect(error.message).toContain('readers.channels: "netpol" is not a valid ID');
    expect(error.message).toContain('readers.users: "carol" is not a valid ID');
    expect(error.message).toContain('readers.groups: "sre" is not a valid ID');
    expect(error.message).toContain('readers.teams: unknown field');
  });

  it('refuses readers that are not a mapping', () => {
    expect(netpolErrorOf(() => loadBotConfig(withFile('readers: [U0CAROL]\n'))).message).toContain(
      'readers: must be a mapping',
    );
  });
});
