import { loadBotConfig, loadWorkerConfig } from './load-config';
import { netpolErrorOf } from '../../../test/support/netpol-error';

const BOT = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret',
  NETPOL_APPROVAL_CHANNEL: 'C0APPROVE',
  NETPOL_APPROVERS: 'U0ALICE',
};

describe('where /metrics listens (NETPOL_METRICS_PORT, NETPOL_METRICS_HOST)', () => {
  it('defaults the bot to 9464 and a worker to 9465, on every interface', () => {
    expect(loadBotConfig(BOT).metrics).toEqual({ port: 9464, host: '0.0.0.0' });
    expect(loadWorkerConfig({ NETPOL_CLUSTER: 'prod' }).metrics).toEqual({ port: 9465, host: '0.0.0.0' });
  });

  it('takes a port (0: any free one) and an interface', () => {
    const env = { NETPOL_METRICS_PORT: '0', NETPOL_METRICS_HOST: '127.0.0.1' };
    expect(loadBotConfig({ ...BOT, ...env }).metrics).toEqual({ port: 0, host: '127.0.0.1' });
    expect(loadWorkerConfig({ NETPOL_CLUSTER: 'prod', NETPOL_METRICS_PORT: '9100' }).metrics?.port).toBe(
      9100,
    );
  });

  it('names a bad port and a bad interface with the other problems', () => {
    const error = netpolErrorOf(() =>
      loadWorkerConfig({ NETPOL_METRICS_PORT: '90000', NETPOL_METRICS_HOST: 'not a host' }),
    );
    expect(error.code).toBe('E_CONFIG');
    expect(error.message).toContain('(3 problems)');
    expect(error.message).toContain(
      'NETPOL_METRICS_PORT: "90000" is not a port number (0-65535; 0: any free port)',
    );
    expect(error.message).toContain('NETPOL_METRICS_HOST: "not a host" is not an IP address or host name');
  });
});
