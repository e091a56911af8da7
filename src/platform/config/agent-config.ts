/**
 * The node agent's configuration: read once from the environment by src/agent/main.ts, validated
 * whole (every problem reported at once, each naming the variable and what a valid value looks
 * like), frozen and passed down. Separate from load-config.ts: the agent shares nothing of the
 * bot's file and only REDIS_URL, NETPOL_PREFIX and LOG_LEVEL of the worker's variables.
 *
 *   NODE_NAME                 required: this node (pods are local when spec.nodeName equals it)
 *   NETPOL_CLUSTER            required: the cluster, names the drop-event stream
 *   NETPOL_NODE_ADDRESSES     required: the node's own IPs, comma-separated (always allowed: kubelet probes)
 *   KUBECONFIG                optional: a kubeconfig path; absent means the in-cluster service account
 *   NETPOL_BPF_PIN_DIR        default /sys/fs/bpf/netpol: where the maps are pinned (and adopted)
 *   NETPOL_NODE_NETNS         default "-" (the agent's own): the node's network namespace, by name or path
 *   NETPOL_HOST_VETH_PREFIXES default eni,cali,veth: name prefixes of the pods' host veths; a new veth
 *                             so named gets the programs (deny until ready) the moment it appears; "-" for none
 *   NETPOL_BPF_OBJECT, NETPOL_BPF_LOADER   optional paths of the built object and loader helper
 *   REDIS_URL                 default redis://127.0.0.1:6379
 *   NETPOL_PREFIX             default netpol: prefix of the Redis keys
 *   NETPOL_DROP_STREAM_MAXLEN default 10000: approximate length cap of the drop-event stream
 *   NETPOL_AGENT_HEALTH_PORT  default 9876 (0 picks a free port); NETPOL_AGENT_HEALTH_HOST default 0.0.0.0
 *   LOG_LEVEL                 default info
 */
import { isIP } from 'node:net';
import { NetpolError } from '../../core/errors';
import { dns1123LabelProblem, dns1123SubdomainProblem } from '../../core/k8s/names';

export type AgentEnv = Record<string, string | undefined>;

export interface AgentConfig {
  nodeName: string;
  cluster: string;
  /** The node's own addresses: identity HOST in the ipcache. */
  nodeAddresses: string[];
  kubeconfig?: string;
  pinDir: string;
  /** "-" for the agent's own namespace, else a name under /var/run/netns or an absolute path. */
  nodeNetns: string;
  /** Name prefixes of host veths closed (deny until ready) as soon as they appear; empty: none. */
  hostVethPrefixes: string[];
  bpfObjectPath?: string;
  bpfLoaderPath?: string;
  redisUrl: string;
  prefix: string;
  dropStreamMaxLen: number;
  health: { port: number; host: string };
  logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function wholeNumber(
  env: AgentEnv,
  name: string,
  fallback: number,
  range: [number, number],
  problems: string[],
): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < range[0] || value > range[1]) {
    problems.push(`${name}: "${text}" must be a whole number from ${range[0]} to ${range[1]}`);
    return fallback;
  }
  return value;
}

function optionalPath(env: AgentEnv, name: string, problems: string[]): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!value.startsWith('/')) problems.push(`${name}: "${value}" must be an absolute path`);
  return value;
}

export function loadAgentConfig(env: AgentEnv): AgentConfig {
  const problems: string[] = [];
  const nodeName = env.NODE_NAME ?? '';
  if (nodeName === '') problems.push('NODE_NAME: is required (the downward API: fieldRef spec.nodeName)');
  else if (dns1123SubdomainProblem(nodeName) !== undefined)
    problems.push(`NODE_NAME: "${nodeName}" is not a valid node name`);

  const cluster = env.NETPOL_CLUSTER ?? '';
  if (cluster === '') problems.push('NETPOL_CLUSTER: is required: the cluster this node belongs to');
  else if (dns1123LabelProblem(cluster) !== undefined)
    problems.push(`NETPOL_CLUSTER: "${cluster}" is not a valid cluster name`);

  const nodeAddresses = (env.NETPOL_NODE_ADDRESSES ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (nodeAddresses.length === 0)
    problems.push(
      'NETPOL_NODE_ADDRESSES: is required: the node IPs, comma-separated (status.hostIP), so kubelet probes pass',
    );
  for (const address of nodeAddresses) {
    if (isIP(address) === 0)
      problems.push(`NETPOL_NODE_ADDRESSES: "${address}" is not an IPv4 or IPv6 address`);
  }

  const pinDir = env.NETPOL_BPF_PIN_DIR || '/sys/fs/bpf/netpol';
  if (!pinDir.startsWith('/sys/fs/bpf/'))
    problems.push(`NETPOL_BPF_PIN_DIR: "${pinDir}" must be a directory under /sys/fs/bpf/`);

  const nodeNetns = env.NETPOL_NODE_NETNS || '-';
  if (nodeNetns !== '-' && !/^[A-Za-z0-9._-]{1,64}$/.test(nodeNetns) && !nodeNetns.startsWith('/'))
    problems.push(`NETPOL_NODE_NETNS: "${nodeNetns}" must be "-", a namespace name or an absolute path`);

  const prefixesText = env.NETPOL_HOST_VETH_PREFIXES || 'eni,cali,veth';
  const hostVethPrefixes = prefixesText === '-' ? [] : prefixesText.split(',').map((item) => item.trim());
  for (const item of hostVethPrefixes) {
    if (!/^[A-Za-z0-9._-]{1,14}$/.test(item))
      problems.push(
        `NETPOL_HOST_VETH_PREFIXES: "${item}" is not a link-name prefix (1-14 letters, digits, ".", "_" or "-"; "-" alone for none)`,
      );
  }

  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl))
    problems.push(`REDIS_URL: "${redisUrl}" is not a redis:// or rediss:// URL`);

  const prefix = env.NETPOL_PREFIX || 'netpol';
  if (!/^[a-zA-Z0-9_-]{1,40}$/.test(prefix))
    problems.push(`NETPOL_PREFIX: "${prefix}" must be 1-40 letters, digits, "-" or "_"`);

  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);

  const healthHost = env.NETPOL_AGENT_HEALTH_HOST || '0.0.0.0';
  if (isIP(healthHost) === 0)
    problems.push(`NETPOL_AGENT_HEALTH_HOST: "${healthHost}" is not an IP address to listen on`);

  const config: AgentConfig = {
    nodeName,
    cluster,
    nodeAddresses,
    pinDir,
    nodeNetns,
    hostVethPrefixes,
    redisUrl,
    prefix,
    dropStreamMaxLen: wholeNumber(env, 'NETPOL_DROP_STREAM_MAXLEN', 10_000, [1, 10_000_000], problems),
    health: {
      port: wholeNumber(env, 'NETPOL_AGENT_HEALTH_PORT', 9876, [0, 65_535], problems),
      host: healthHost,
    },
    logLevel,
  };
  const kubeconfig = env.KUBECONFIG;
  if (kubeconfig !== undefined && kubeconfig !== '') config.kubeconfig = kubeconfig;
  const bpfObjectPath = optionalPath(env, 'NETPOL_BPF_OBJECT', problems);
  if (bpfObjectPath !== undefined) config.bpfObjectPath = bpfObjectPath;
  const bpfLoaderPath = optionalPath(env, 'NETPOL_BPF_LOADER', problems);
  if (bpfLoaderPath !== undefined) config.bpfLoaderPath = bpfLoaderPath;

  if (problems.length > 0) {
    throw new NetpolError(
      'E_CONFIG',
      `invalid agent configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`,
    );
  }
  Object.freeze(config.nodeAddresses);
  Object.freeze(config.hostVethPrefixes);
  Object.freeze(config.health);
  return Object.freeze(config);
}
