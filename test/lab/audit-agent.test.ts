/**
 * Audit mode (issue 10) on real packets: the real node agent (a child process) over a node
 * namespace with a client pod (frontend) and a server pod (backend) behind routed host veths
 * (NodeNetwork), the Kubernetes API stand-in and a real redis-server, all set up by AgentLab
 * (test/dataplane/support/agent-lab.ts), as for test/dataplane/agent.test.ts.
 *
 * 1. A default-deny-ingress annotated `netpol.io/audit` in backend: real TCP connections and UDP
 *    exchanges to the server still succeed; nothing is dropped (the server's dropped-packet counter
 *    stays 0, the drop stream stays empty: no drop alert can fire), and the flow store holds
 *    'would-block' flows for tcp/80 and udp/80 naming the policy; the agent logged each at debug and
 *    counted them in netpol_agent_would_drops_total.
 * 2. The same policy applied again WITHOUT the annotation (what "Enforce" does): new TCP
 *    connections and UDP exchanges time out, and the drops reach the drop stream. A TCP connection
 *    opened while the policy was audited keeps working: the kernel tracked it when it passed (a
 *    would-drop creates its conntrack entry), and established flows survive policy changes, in
 *    audit mode as in any other.
 * 3. The policy deleted: new connections succeed again.
 * 4. An audit-mode policy admitting the client on tcp/80 only, enforced while the client connects
 *    on tcp/80 without a pause: not one of those connections fails across the switch (the rules
 *    are in place before the AUDIT flag goes), and udp/80 is dropped once it is enforced.
 *
 * Synchronised only on observable conditions (the agent's own log lines, real connections, the
 * flow store). Needs root, bpffs and the built eBPF objects: FAILS with the reason when one is
 * missing, never skips. Everything it makes has the prefix np-dp-<pid>-au- (an earlier killed run's
 * leftovers are swept by that pattern) and is removed in afterAll, also when a step fails; the
 * last test removes it and checks that nothing is left.
 */
import { NetworkingV1Api } from '@kubernetes/client-node';
import type Redis from 'ioredis';
import { FlowStore } from '../../src/adapters/redis/flow-store';
import type { ObservedFlow } from '../../src/contracts/observed-flows';
import { AUDIT_ANNOTATION } from '../../src/core/k8s/audit-mode';
import type { KubeApiStandIn } from '../../src/devtools/kube-api';
import type { NodeNetwork } from '../../src/devtools/lab/netns';
import { AgentLab, CLUSTER } from '../dataplane/support/agent-lab';

const PREFIX = `np-dp-${process.pid}-au-`;
const NODE = { ipv4: '10.78.255.1', ipv6: 'fd78::ff:1' };
const PORT = 80;

const PODS = {
  client: { namespace: 'frontend', name: 'web', labels: { app: 'web' }, ipv4: '10.78.0.2', ipv6: 'fd78::2' },
  server: { namespace: 'backend', name: 'api', labels: { app: 'api' }, ipv4: '10.78.0.3', ipv6: 'fd78::3' },
} as const;

const DENY_INGRESS = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'default-deny-ingress', namespace: 'backend' },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
};
/** Ingress to the server from frontend's web on tcp/80 only. */
const ALLOW_WEB = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-web', namespace: 'backend' },
  spec: {
    podSelector: { matchLabels: { app: 'api' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } },
            podSelector: { matchLabels: { app: 'web' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: PORT }],
      },
    ],
  },
};
const AUDITED_DENY_INGRESS = {
  ...DENY_INGRESS,
  metadata: { ...DENY_INGRESS.metadata, annotations: { [AUDIT_ANNOTATION]: '1h' } },
};

let agentLab: AgentLab;
let lab: NodeNetwork;
let client: Redis;
let standIn: KubeApiStandIn;

/** client -> server, one new TCP connection or one UDP exchange: ok, or why not. */
async function probe(protocol: 'TCP' | 'UDP', timeoutMs = 500) {
  return lab.pod('client').agent.probe(protocol, PODS.server.ipv4, PORT, timeoutMs);
}

/** Probes until new flows of `protocol` pass (or not); the agent applies a change asynchronously. */
async function untilVerdict(protocol: 'TCP' | 'UDP', passes: boolean, deadlineMs = 15_000) {
  const deadline = Date.now() + deadlineMs;
  while ((await probe(protocol, 300)).ok !== passes) {
    if (Date.now() > deadline)
      throw new Error(`client -> server ${protocol} never ${passes ? 'passed' : 'timed out'}`);
  }
}

/** Polls `condition` until it holds; throws naming it after `timeoutMs`. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function flows(): Promise<ObservedFlow[]> {
  return new FlowStore(client, 'netpol').list(CLUSTER, 'backend', new Date());
}

beforeAll(async () => {
  agentLab = await AgentLab.start({
    prefix: PREFIX,
    node: NODE,
    pods: PODS,
    ports: [PORT],
    // Would-drops are logged at debug.
    agentEnv: { NETPOL_FLOW_INTERVAL: '200ms', LOG_LEVEL: 'debug' },
  });
  lab = agentLab.lab;
  client = agentLab.client!;
  standIn = agentLab.standIn!;
}, 90_000);

afterAll(() => agentLab?.teardown(), 30_000);

afterEach(() => {
  const state = expect.getState();
  if (state.assertionCalls !== state.numPassingAsserts && agentLab?.agent !== undefined) {
    process.stderr.write(`agent output:\n${agentLab.agent.lines.slice(-60).join('\n')}\n`);
  }
});

describe('audit mode over real packets', () => {
  test('no policy: TCP and UDP from the client reach the server', async () => {
    await expect(probe('TCP')).resolves.toEqual({ ok: true });
    await expect(probe('UDP')).resolves.toEqual({ ok: true });
  });

  test("an audit-mode default-deny-ingress drops nothing and reports 'would-block' flows naming it", async () => {
    standIn.seed([AUDITED_DENY_INGRESS]);
    // The agent switched the server's ingress to audit (its rules: none; its flags: ISOLATED|AUDIT).
    await until(
      'the server side audited',
      () =>
        agentLab.logged('side audit mode', { pod: 'backend/api', direction: 'Ingress', audit: true }).length >
        0,
    );
    for (let i = 0; i < 3; i++) {
      await expect(probe('TCP', 1_000)).resolves.toEqual({ ok: true });
      await expect(probe('UDP', 1_000)).resolves.toEqual({ ok: true });
    }
    // Kept open through the switch to enforcement (test 3).
    await expect(lab.pod('client').agent.open('kept', PODS.server.ipv4, PORT)).resolves.toEqual({ ok: true });

    let seen: ObservedFlow[] = [];
    await until("'would-block' flows for tcp/80 and udp/80 in the flow store", async () => {
      seen = (await flows()).filter((f) => f.verdict === 'would-block');
      return ['TCP', 'UDP'].every((p) => seen.some((f) => f.protocol === p));
    });
    for (const protocol of ['TCP', 'UDP'] as const) {
      expect(seen.find((f) => f.protocol === protocol)).toMatchObject({
        source: { kind: 'workload', namespace: 'frontend', name: 'web' },
        destination: { kind: 'workload', namespace: 'backend', name: 'api' },
        port: PORT,
        auditPolicies: ['backend/default-deny-ingress'],
      });
    }
    expect(
      agentLab.logged('packet would be dropped (audit mode)', {
        pod: 'backend/api',
        auditPolicies: ['backend/default-deny-ingress'],
      }).length,
    ).toBeGreaterThanOrEqual(2);
    expect(await agentLab.metric('netpol_agent_would_drops_total')).toBeGreaterThanOrEqual(2);
    // Nothing dropped, no drop event: no drop alert can fire for it.
    expect(
      await agentLab.metric('netpol_agent_packets_dropped_total', '{namespace="backend",pod="api"}'),
    ).toBe(0);
    expect(await agentLab.drops()).toEqual([]);
  });

  test('enforced (the annotation removed): new connections time out, the drops are reported, an established connection keeps working', async () => {
    standIn.seed([DENY_INGRESS]);
    await untilVerdict('TCP', false);
    await expect(probe('TCP', 1_000)).resolves.toEqual({ ok: false, error: 'timeout' });
    await expect(probe('UDP', 1_000)).resolves.toEqual({ ok: false, error: 'timeout' });
    expect(
      agentLab.logged('side audit mode', { pod: 'backend/api', direction: 'Ingress', audit: false }).length,
    ).toBeGreaterThan(0);
    // Opened while audited: tracked then, so it survives the change like any established flow.
    await expect(lab.pod('client').agent.echo('kept')).resolves.toEqual({ ok: true });
    await until('the drops in the drop stream', async () =>
      (await agentLab.drops()).some(
        (d) => d.pod?.name === 'api' && d.peer?.name === 'web' && d.reason === 'NO_RULE_INGRESS',
      ),
    );
  });

  test('the policy deleted: new connections pass again', async () => {
    await standIn
      .kubeConfig()
      .makeApiClient(NetworkingV1Api)
      .deleteNamespacedNetworkPolicy({ name: DENY_INGRESS.metadata.name, namespace: 'backend' });
    await untilVerdict('TCP', true);
    await expect(probe('UDP', 1_000)).resolves.toEqual({ ok: true });
  });

  test('an audited allow enforced while the client connects without a pause: no allowed connection fails across the switch', async () => {
    standIn.seed([
      { ...ALLOW_WEB, metadata: { ...ALLOW_WEB.metadata, annotations: { [AUDIT_ANNOTATION]: '' } } },
    ]);
    await until(
      'the server side audited again',
      () =>
        agentLab.logged('side audit mode', { pod: 'backend/api', direction: 'Ingress', audit: true }).length >
        1,
    );
    await expect(probe('UDP', 1_000)).resolves.toEqual({ ok: true }); // would be dropped: passes
    const failures: string[] = [];
    let connections = 0;
    let hammering = true;
    const hammer = (async () => {
      while (hammering) {
        const result = await probe('TCP', 2_000);
        connections++;
        if (!result.ok) failures.push(result.error ?? 'failed');
      }
    })();
    try {
      const before = connections;
      while (connections < before + 5) await new Promise((resolve) => setTimeout(resolve, 10));
      standIn.seed([ALLOW_WEB]);
      await untilVerdict('UDP', false);
      const after = connections;
      while (connections < after + 5) await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      hammering = false;
      await hammer;
    }
    expect({ connections: connections > 10, failures }).toEqual({ connections: true, failures: [] });
  });

  test('the lab is removed: no namespace, pinned map, process or kubeconfig left', async () => {
    const pids = agentLab.pids();
    await agentLab.teardown();
    await expect(agentLab.remains(pids)).resolves.toEqual([]);
  });
});
