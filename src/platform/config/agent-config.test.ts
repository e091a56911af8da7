import { isNetpolError } from '../../core/errors';
import { loadAgentConfig } from './agent-config';

const VALID = {
  NODE_NAME: 'node-1',
  NETPOL_CLUSTER: 'prod',
  NETPOL_NODE_ADDRESSES: '10.0.0.5, fd00::5',
};

function problemsOf(env: Record<string, string>): string {
  try {
    loadAgentConfig(env);
  } catch (error) {
    if (isNetpolError(error)) return error.message;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

test('a valid environment gives a frozen configuration with defaults', () => {
  const config = loadAgentConfig(VALID);
  expect(config).toEqual({
    nodeName: 'node-1',
    cluster: 'prod',
    nodeAddresses: ['10.0.0.5', 'fd00::5'],
    pinDir: '/sys/fs/bpf/netpol',
    nodeNetns: '-',
    hostVethPrefixes: ['eni', 'cali', 'veth'],
    redisUrl: 'redis://127.0.0.1:6379',
    prefix: 'netpol',
    dropStreamMaxLen: 10_000,
    flows: { sampleOneIn: 20, intervalMs: 10_000, maxKeys: 5000, retentionMs: 7 * 86_400_000 },
    health: { port: 9876, host: '0.0.0.0' },
    logLevel: 'info',
  });
  expect(Object.isFrozen(config)).toBe(true);
  expect(Object.isFrozen(config.nodeAddresses)).toBe(true);
});

test('optional settings are read', () => {
  const config = loadAgentConfig({
    ...VALID,
    KUBECONFIG: '/etc/kube/config',
    NETPOL_BPF_PIN_DIR: '/sys/fs/bpf/np-test',
    NETPOL_NODE_NETNS: 'np-node',
    NETPOL_HOST_VETH_PREFIXES: 'hv,lxc',
    NETPOL_AGENT_HEALTH_PORT: '0',
    NETPOL_DROP_STREAM_MAXLEN: '500',
    LOG_LEVEL: 'debug',
  });
  expect(config).toMatchObject({
    kubeconfig: '/etc/kube/config',
    pinDir: '/sys/fs/bpf/np-test',
    nodeNetns: 'np-node',
    hostVethPrefixes: ['hv', 'lxc'],
    health: { port: 0 },
    dropStreamMaxLen: 500,
    logLevel: 'debug',
  });
});

test('observed flows: sampling off with 0, the interval and retention as durations, a bad value named', () => {
  const flows = loadAgentConfig({
    ...VALID,
    NETPOL_FLOW_SAMPLE_ONE_IN: '0',
    NETPOL_FLOW_INTERVAL: '500ms',
    NETPOL_FLOW_MAX_KEYS: '10',
    NETPOL_FLOW_RETENTION: '1h',
  }).flows;
  expect(flows).toEqual({ sampleOneIn: 0, intervalMs: 500, maxKeys: 10, retentionMs: 3_600_000 });
  expect(() => loadAgentConfig({ ...VALID, NETPOL_FLOW_RETENTION: 'forever' })).toThrow(
    /NETPOL_FLOW_RETENTION/,
  );
});

test('host veth prefixes: "-" for none, and a name that cannot start a link name is refused', () => {
  expect(loadAgentConfig({ ...VALID, NETPOL_HOST_VETH_PREFIXES: '-' }).hostVethPrefixes).toEqual([]);
  expect(() => loadAgentConfig({ ...VALID, NETPOL_HOST_VETH_PREFIXES: 'eni,ca li' })).toThrow(
    /NETPOL_HOST_VETH_PREFIXES: "ca li" is not a link-name prefix/,
  );
});

test('every problem is reported at once, each naming its variable', () => {
  const message = problemsOf({
    NETPOL_NODE_ADDRESSES: '10.0.0.300',
    NETPOL_BPF_PIN_DIR: '/tmp/maps',
    REDIS_URL: 'http://redis',
    NETPOL_AGENT_HEALTH_PORT: '70000',
    LOG_LEVEL: 'loud',
  });
  expect(message).toMatch(/^invalid agent configuration \(7 problems\)/);
  for (const name of [
    'NODE_NAME',
    'NETPOL_CLUSTER',
    'NETPOL_NODE_ADDRESSES: "10.0.0.300"',
    'NETPOL_BPF_PIN_DIR',
    'REDIS_URL',
    'NETPOL_AGENT_HEALTH_PORT',
    'LOG_LEVEL',
  ]) {
    expect(message).toContain(name);
  }
});
