/**
 * The node agent's configuration: read once from the environment by src/agent/main.ts, validated
 * whole against its variables' schemas (schema.ts: AGENT_ENV, where each variable's default and
 * meaning are written once; the README's table is generated from them), every problem reported at
 * once, each naming the variable and what a valid value looks like; frozen and passed down.
 * Separate from load-config.ts: the agent shares nothing of the bot's file and only REDIS_URL,
 * NETPOL_PREFIX, KUBECONFIG and LOG_LEVEL of the worker's variables.
 */
import { AGENT_ENV } from './schema';
import { deepFreeze, Problems, readVariable } from './problems';

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
  /** Observed flows (issue 10): kernel sampling of new allowed flows, aggregation, retention. */
  flows: { sampleOneIn: number; intervalMs: number; maxKeys: number; retentionMs: number };
  health: { port: number; host: string };
  logLevel: string;
}

export function loadAgentConfig(env: AgentEnv): AgentConfig {
  const problems = new Problems();
  const read = <V extends (typeof AGENT_ENV)[keyof typeof AGENT_ENV]>(variable: V) =>
    readVariable(env, variable, problems);
  const required = (name: keyof typeof AGENT_ENV, why: string) => {
    if ((env[name] ?? '') === '') problems.add(name, why);
  };
  required('NODE_NAME', 'is required (the downward API: fieldRef spec.nodeName)');
  required('NETPOL_CLUSTER', 'is required: the cluster this node belongs to');
  required(
    'NETPOL_NODE_ADDRESSES',
    'is required: the node IPs, comma-separated (status.hostIP), so kubelet probes pass',
  );
  const nodeName = read(AGENT_ENV.NODE_NAME) ?? '';
  const cluster = read(AGENT_ENV.NETPOL_CLUSTER) ?? '';
  const nodeAddresses = read(AGENT_ENV.NETPOL_NODE_ADDRESSES) ?? [];
  // "-" alone: no prefixes at all.
  const hostVethPrefixes =
    env.NETPOL_HOST_VETH_PREFIXES?.trim() === '-'
      ? []
      : (read(AGENT_ENV.NETPOL_HOST_VETH_PREFIXES) ?? ['eni', 'cali', 'veth']);
  const kubeconfig = read(AGENT_ENV.KUBECONFIG);
  const bpfObjectPath = read(AGENT_ENV.NETPOL_BPF_OBJECT);
  const bpfLoaderPath = read(AGENT_ENV.NETPOL_BPF_LOADER);
  const config: AgentConfig = {
    nodeName,
    cluster,
    nodeAddresses,
    pinDir: read(AGENT_ENV.NETPOL_BPF_PIN_DIR) ?? '/sys/fs/bpf/netpol',
    nodeNetns: read(AGENT_ENV.NETPOL_NODE_NETNS) ?? '-',
    hostVethPrefixes,
    redisUrl: read(AGENT_ENV.REDIS_URL) ?? 'redis://127.0.0.1:6379',
    prefix: read(AGENT_ENV.NETPOL_PREFIX) ?? 'netpol',
    dropStreamMaxLen: read(AGENT_ENV.NETPOL_DROP_STREAM_MAXLEN) ?? 10_000,
    flows: {
      sampleOneIn: read(AGENT_ENV.NETPOL_FLOW_SAMPLE_ONE_IN) ?? 20,
      intervalMs: read(AGENT_ENV.NETPOL_FLOW_INTERVAL) ?? 10_000,
      maxKeys: read(AGENT_ENV.NETPOL_FLOW_MAX_KEYS) ?? 5000,
      retentionMs: read(AGENT_ENV.NETPOL_FLOW_RETENTION) ?? 7 * 86_400_000,
    },
    health: {
      port: read(AGENT_ENV.NETPOL_AGENT_HEALTH_PORT) ?? 9876,
      host: read(AGENT_ENV.NETPOL_AGENT_HEALTH_HOST) ?? '0.0.0.0',
    },
    logLevel: read(AGENT_ENV.LOG_LEVEL) ?? 'info',
    ...(kubeconfig === undefined ? {} : { kubeconfig }),
    ...(bpfObjectPath === undefined ? {} : { bpfObjectPath }),
    ...(bpfLoaderPath === undefined ? {} : { bpfLoaderPath }),
  };
  problems.throwIfAny('agent');
  return deepFreeze(config);
}
