/**
 * The agent's /metrics as Prometheus scrapes it: two real agents in one process (one per node, each
 * with its own registry) over the Kubernetes API stand-in, a real redis-server and an in-memory
 * dataplane whose kernel counters the test sets. What a user reads: which pods are attached, their
 * packets allowed and dropped, map sizes, ring-buffer losses, readiness, sync latency, and a failed
 * map pass counted as a reconcile error (and /readyz following it); a refused watch counted as a
 * Kubernetes API error, observed flows written and over the bound; a would-drop (audit mode)
 * counted and kept as a 'would-block' flow, never a drop event.
 */
import Redis from 'ioredis';
import pino from 'pino';
import type { DataplaneEvent, EndpointCounters } from '../adapters/bpf/abi';
import type { EndpointState, PolicyRule } from '../adapters/bpf/bpf-dataplane';
import { FlowStore } from '../adapters/redis/flow-store';
import { AUDIT_ANNOTATION } from '../core/k8s/audit-mode';
import { startKubeApiStandIn, type KubeApiStandIn } from '../devtools/kube-api';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import { loadAgentConfig } from '../platform/config/agent-config';
import type { DataplaneMaps } from './enforcer';
import type { DataplaneReadings, MapName } from './metrics';
import { startAgent, type Agent } from './run-agent';

/** The maps as plain collections; counters set by the test stand for what the kernel counted. */
class MemoryDataplane implements DataplaneMaps, DataplaneReadings {
  readonly ipcache = new Map<string, number>();
  readonly endpoints = new Map<number, EndpointState>();
  readonly rules = new Map<string, readonly PolicyRule[]>();
  readonly counters = new Map<number, EndpointCounters>();
  global = { eventsLost: 0n, eventsSuppressed: 0n };
  failNextSwap = false;
  /** The agent's event callback (what the ring buffer would deliver). */
  emit: (event: DataplaneEvent) => void = () => undefined;
  async attach(_netns: string, ifname: string) {
    return Number(ifname.slice(2));
  }
  async setEndpoint(ifindex: number, state: EndpointState) {
    this.endpoints.set(ifindex, state);
  }
  async removeEndpoint(ifindex: number) {
    this.endpoints.delete(ifindex);
  }
  async setIdentities(entries: readonly { cidr: string; identity: number }[]) {
    for (const { cidr, identity } of entries) this.ipcache.set(cidr, identity);
  }
  async removeIdentities(cidrs: readonly string[]) {
    for (const cidr of cidrs) this.ipcache.delete(cidr);
  }
  async swapRules(endpointId: number, direction: 0 | 1, rules: readonly PolicyRule[]) {
    if (this.failNextSwap) {
      this.failNextSwap = false;
      throw new Error('map update refused');
    }
    this.rules.set(`${endpointId}/${direction}`, rules);
    return rules.length;
  }
  async clearRules(endpointId: number, direction: 0 | 1) {
    this.rules.delete(`${endpointId}/${direction}`);
  }
  async readIdentities() {
    return [...this.ipcache].map(([cidr, identity]) => ({ cidr, identity }));
  }
  async endpointIfindexes() {
    return [...this.endpoints.keys()];
  }
  async mapKeys(map: MapName) {
    const keys = {
      ipcache: this.ipcache,
      endpoints: this.endpoints,
      policy: this.rules,
      conntrack: new Map(),
    };
    return [...keys[map].keys()].map(String);
  }
  async endpointCounters(endpointId: number) {
    return this.counters.get(endpointId) ?? null;
  }
  async globalCounters() {
    return this.global;
  }
  async close() {}
}

/** Host veths by pod IP, on whichever node asks. */
const VETHS: Record<string, number> = { '10.0.0.2': 12, '10.0.0.3': 13, '10.1.0.7': 21, '10.0.0.4': 14 };

function pod(name: string, ip: string, nodeName: string, labels: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', labels },
    spec: { nodeName, containers: [{ name: 'main', image: 'nginx:1.27' }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

function policy(name: string, podSelector: Record<string, string>, from: Record<string, string>) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'shop' },
    spec: {
      podSelector: { matchLabels: podSelector },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: from } }] }],
    },
  };
}

let standIn: KubeApiStandIn;
let redis: TestRedis;
const agents: Agent[] = [];

beforeAll(async () => {
  redis = await startRedis();
  standIn = await startKubeApiStandIn({
    initial: {
      namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }],
      pods: [
        pod('db', '10.0.0.2', 'node-1', { app: 'db' }),
        pod('cache', '10.0.0.3', 'node-1', { app: 'cache' }),
        pod('web', '10.1.0.7', 'node-2', { app: 'web' }),
      ],
      networkpolicies: [policy('db', { app: 'db' }, { app: 'web' })],
    },
  });
});

afterAll(async () => {
  for (const agent of agents) await agent.close();
  await standIn?.close();
  await redis?.stop();
});

async function start(
  nodeName: string,
  dataplane: MemoryDataplane,
  env: Record<string, string> = {},
): Promise<Agent> {
  const config = loadAgentConfig({
    ...env,
    NODE_NAME: nodeName,
    NETPOL_CLUSTER: 'test',
    NETPOL_NODE_ADDRESSES: nodeName === 'node-1' ? '10.0.255.1' : '10.1.255.1',
    NETPOL_AGENT_HEALTH_PORT: '0',
    NETPOL_AGENT_HEALTH_HOST: '127.0.0.1',
    REDIS_URL: redis.url,
  });
  const agent = await startAgent(config, {
    log: pino({ level: 'silent' }),
    kubeConfig: standIn.kubeConfig(),
    openDataplane: async (onEvent) => {
      dataplane.emit = onEvent;
      return dataplane;
    },
    findHostVeth: async (ip) =>
      VETHS[ip] === undefined ? null : { ifname: `hv${VETHS[ip]}`, ifindex: VETHS[ip]! },
    backoff: { initialMs: 10, maxMs: 50 },
    processMetrics: false, // prom-client's GC observer would outlive the test
  });
  agents.push(agent);
  return agent;
}

/** Resolves once `probe` holds (checked every 10 ms); fails after `timeoutMs` naming `what`. */
async function until(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function get(
  agent: Agent,
  path: string,
): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(`http://127.0.0.1:${agent.healthPort}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

/** The sample lines of a scrape: `name{labels}` -> value. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

test('each agent serves its own node on /metrics: pods attached, their packets, maps, losses, readiness, sync latency', async () => {
  const node1 = new MemoryDataplane();
  const node2 = new MemoryDataplane();
  const agent1 = await start('node-1', node1);
  const agent2 = await start('node-2', node2);
  // Before the first pass: served, and not ready.
  expect(samples((await get(agent1, '/metrics')).body).get('netpol_agent_ready')).toBeDefined();
  await until('both agents ready', () => agent1.readiness().ready && agent2.readiness().ready);

  node1.counters.set(12, { allowedPackets: 7n, allowedBytes: 700n, droppedPackets: 3n, droppedBytes: 180n });
  node1.counters.set(13, { allowedPackets: 40n, allowedBytes: 4000n, droppedPackets: 0n, droppedBytes: 0n });
  node1.global = { eventsLost: 2n, eventsSuppressed: 5n };
  node2.counters.set(21, { allowedPackets: 11n, allowedBytes: 1100n, droppedPackets: 0n, droppedBytes: 0n });

  const scrape = await get(agent1, '/metrics');
  expect(scrape.status).toBe(200);
  expect(scrape.type).toMatch(/^text\/plain; version=0\.0\.4/);
  for (const name of [
    'netpol_agent_map_entries gauge',
    'netpol_agent_sync_latency_seconds histogram',
    'netpol_agent_packets_allowed_total counter',
    'netpol_agent_packets_dropped_total counter',
    'netpol_agent_events_lost_total counter',
    'netpol_agent_events_suppressed_total counter',
    'netpol_agent_reconcile_errors_total counter',
    'netpol_agent_local_pods_attached gauge',
    'netpol_agent_ready gauge',
    'netpol_agent_drop_events_discarded_total counter',
  ]) {
    expect(scrape.body).toContain(`# TYPE ${name}`);
  }
  const one = samples(scrape.body);
  expect(one.get('netpol_agent_ready')).toBe(1);
  expect(one.get('netpol_agent_local_pods_attached')).toBe(2);
  expect(one.get('netpol_agent_packets_dropped_total{namespace="shop",pod="db"}')).toBe(3);
  expect(one.get('netpol_agent_packets_allowed_total{namespace="shop",pod="db"}')).toBe(7);
  expect(one.get('netpol_agent_packets_allowed_total{namespace="shop",pod="cache"}')).toBe(40);
  expect(one.has('netpol_agent_packets_allowed_total{namespace="shop",pod="web"}')).toBe(false);
  expect(one.get('netpol_agent_events_lost_total')).toBe(2);
  expect(one.get('netpol_agent_events_suppressed_total')).toBe(5);
  expect(one.get('netpol_agent_map_entries{map="endpoints"}')).toBe(2);
  expect(one.get('netpol_agent_map_entries{map="ipcache"}')).toBe(node1.ipcache.size);
  expect(one.get('netpol_agent_map_entries{map="policy"}')).toBe(1); // db's ingress rules
  expect(one.get('netpol_agent_map_entries{map="conntrack"}')).toBe(0);
  expect(one.get('netpol_agent_reconcile_errors_total')).toBe(0);
  expect(one.get('netpol_agent_sync_latency_seconds_count')).toBeGreaterThanOrEqual(1);
  expect(one.get('netpol_agent_sync_latency_seconds_bucket{le="+Inf"}')).toBe(
    one.get('netpol_agent_sync_latency_seconds_count'),
  );

  // The other node's registry holds only its own pod.
  const two = samples((await get(agent2, '/metrics')).body);
  expect(two.get('netpol_agent_local_pods_attached')).toBe(1);
  expect(two.get('netpol_agent_packets_allowed_total{namespace="shop",pod="web"}')).toBe(11);
  expect(two.has('netpol_agent_packets_allowed_total{namespace="shop",pod="db"}')).toBe(false);
  expect(two.get('netpol_agent_events_lost_total')).toBe(0);

  // A policy change whose map write fails once: counted as a reconcile error, then retried.
  const syncsBefore = one.get('netpol_agent_sync_latency_seconds_count')!;
  node1.failNextSwap = true;
  standIn.seed([policy('cache', { app: 'cache' }, { app: 'web' })]);
  await until('the failed pass counted and retried', async () => {
    const now = samples((await get(agent1, '/metrics')).body);
    return (
      now.get('netpol_agent_reconcile_errors_total') === 1 &&
      now.get('netpol_agent_ready') === 1 &&
      now.get('netpol_agent_map_entries{map="policy"}') === 2
    );
  });
  const after = samples((await get(agent1, '/metrics')).body);
  expect(after.get('netpol_agent_sync_latency_seconds_count')).toBe(syncsBefore + 1);
  expect((await get(agent1, '/readyz')).status).toBe(200);
});

/** A new flow allowed into the local pod `endpointId` from `source`, as the kernel reports it. */
function allowed(endpointId: number, source: string, port: number): DataplaneEvent {
  return {
    timestampNs: 1n,
    family: 4,
    source,
    destination: '10.0.0.2',
    sourcePort: 40_000,
    destinationPort: port,
    protocol: 6,
    endpointId,
    peerIdentity: 0,
    ruleId: 0,
    suppressed: 0,
    direction: 'ingress',
    kind: 'allow-new-flow',
    reason: 'UNKNOWN',
  };
}

test("the agent counts its informers' refused lists and its observed flows written and over the bound", async () => {
  // Only this agent lists pods from here on: the refused list below is its own.
  for (const earlier of agents.splice(0)) await earlier.close();
  const node = new MemoryDataplane();
  // One distinct flow per interval is kept; a second is overflow.
  const agent = await start('node-1', node, { NETPOL_FLOW_MAX_KEYS: '1', NETPOL_FLOW_INTERVAL: '50ms' });
  await until('the agent ready', () => agent.readiness().ready);
  const refused =
    'netpol_kube_api_errors_total{cluster="test",operation="list-watch",code="E_KUBE_FORBIDDEN",status="403"}';
  const before = samples((await get(agent, '/metrics')).body);
  expect(before.get('netpol_agent_flows_written_total')).toBe(0);
  expect(before.get('netpol_agent_flows_discarded_total{reason="overflow"}')).toBe(0);

  node.emit(allowed(12, '10.1.0.7', 5432));
  node.emit(allowed(12, '10.1.0.7', 6379));
  await until('the flow written and the overflow counted', async () => {
    const now = samples((await get(agent, '/metrics')).body);
    return (
      now.get('netpol_agent_flows_written_total') === 1 &&
      now.get('netpol_agent_flows_discarded_total{reason="overflow"}') === 1
    );
  });
  expect(
    samples((await get(agent, '/metrics')).body).get(
      'netpol_agent_flows_discarded_total{reason="redis_error"}',
    ),
  ).toBe(0);

  // The watches end and the pods' watch is refused once when the informer resumes it.
  const refusedBefore = before.get(refused) ?? 0;
  standIn.failNext({ verb: 'watch', resource: 'pods', status: 403 });
  standIn.dropWatches();
  await until('the refused list counted', async () => {
    const now = samples((await get(agent, '/metrics')).body);
    return now.get(refused) === refusedBefore + 1;
  });
});

test("a would-drop (audit mode) is counted in netpol_agent_would_drops_total and kept as a 'would-block' flow naming the audit policy, never published as a drop", async () => {
  for (const earlier of agents.splice(0)) await earlier.close();
  standIn.seed([
    pod('queue', '10.0.0.4', 'node-1', { app: 'queue' }),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'queue-audit', namespace: 'shop', annotations: { [AUDIT_ANNOTATION]: '1h' } },
      spec: { podSelector: { matchLabels: { app: 'queue' } }, policyTypes: ['Ingress'] },
    },
  ]);
  const node = new MemoryDataplane();
  const agent = await start('node-1', node, { NETPOL_FLOW_INTERVAL: '50ms' });
  await until('the agent ready', () => agent.readiness().ready);
  expect(node.endpoints.get(14)).toMatchObject({
    ingressIsolated: true,
    ingressAudit: true,
    egressAudit: false,
  });

  node.emit({
    ...allowed(14, '10.1.0.7', 5672),
    kind: 'would-drop',
    reason: 'NO_RULE_INGRESS',
    suppressed: 1,
  });
  await until('the would-drops counted', async () => {
    const now = samples((await get(agent, '/metrics')).body);
    return now.get('netpol_agent_would_drops_total') === 2;
  });
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  try {
    const store = new FlowStore(client, 'netpol');
    let flows: Awaited<ReturnType<FlowStore['list']>> = [];
    await until('the would-block flow stored', async () => {
      flows = (await store.list('test', 'shop', new Date())).filter((f) => f.verdict === 'would-block');
      return flows.length > 0;
    });
    expect(flows).toEqual([
      expect.objectContaining({
        destination: expect.objectContaining({ namespace: 'shop', name: 'queue' }),
        port: 5672,
        count: 2,
        auditPolicies: ['shop/queue-audit'],
      }),
    ]);
  } finally {
    client.disconnect();
  }
  // Not a drop: nothing went to the drop stream.
  expect(agent.dropEventStats().published).toBe(0);
});
