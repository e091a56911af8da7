/**
 * The node agent end to end over real packets: a node namespace with pods behind routed host
 * veths (NodeNetwork, src/devtools/lab/netns.ts), the Kubernetes API stand-in holding those pods (their podIPs the
 * lab's, spec.nodeName the node), a real redis-server for drop events, and the real agent as a
 * child process (src/agent/main.ts, configured through its environment). Policies and labels
 * change through the stand-in; verdicts are read off real TCP connections. Needs root (fails,
 * never skips, without it). The node, Redis, the stand-in and the agent are AgentLab's
 * (support/agent-lab.ts, shared with test/lab/audit-agent.test.ts). Everything it makes has the
 * prefix np-dp-<pid>- and is removed in afterAll, also when a step fails.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type Redis from 'ioredis';
import type { DropEvent } from '../../src/contracts/drop-events';
import type { KubeApiStandIn } from '../../src/devtools/kube-api';
import type { NodeNetwork, NodePod } from '../../src/devtools/lab/netns';
import { AgentLab, CLUSTER, NODE_NAME, podObject as labPodObject } from './support/agent-lab';
import { childPids, untilGone } from './support/leftovers';
import { sendFrom } from './support/packet-sender';

const PREFIX = `np-dp-${process.pid}-`;
const NODE = { ipv4: '10.79.255.1', ipv6: 'fd79::ff:1' };

/** Lab pod name -> its Kubernetes namespace, name and labels. */
const PODS = {
  fe: {
    namespace: 'frontend',
    name: 'nginx-fe',
    labels: { app: 'nginx' },
    ipv4: '10.79.0.2',
    ipv6: 'fd79::2',
  },
  fe2: {
    namespace: 'frontend',
    name: 'nginx-fe2',
    labels: { app: 'nginx' },
    ipv4: '10.79.0.3',
    ipv6: 'fd79::3',
  },
  be: {
    namespace: 'backend',
    name: 'nginx-be',
    labels: { app: 'nginx' },
    ipv4: '10.79.0.4',
    ipv6: 'fd79::4',
  },
} as const;
/** Added to the node and the API while the agent runs. */
const LATE = {
  be2: {
    namespace: 'backend',
    name: 'nginx-be2',
    labels: { app: 'nginx' },
    ipv4: '10.79.0.5',
    ipv6: 'fd79::5',
  },
};
/** Created on the node while a peer hammers its addresses, before the API has heard of it. */
const HAMMERED = {
  be3: {
    namespace: 'backend',
    name: 'nginx-be3',
    labels: { app: 'nginx' },
    ipv4: '10.79.0.6',
    ipv6: 'fd79::6',
  },
};
/** Created on the node while the agent is down. */
const WHILE_DOWN = {
  be4: {
    namespace: 'backend',
    name: 'nginx-be4',
    labels: { app: 'nginx' },
    ipv4: '10.79.0.7',
    ipv6: 'fd79::7',
  },
};
const ALL = { ...PODS, ...LATE, ...HAMMERED, ...WHILE_DOWN };
type LabName = keyof typeof ALL;

let agentLab: AgentLab;
let lab: NodeNetwork;
let client: Redis;
let standIn: KubeApiStandIn;

function podObject(name: LabName, labels: Record<string, string> = ALL[name].labels) {
  return labPodObject(ALL[name], labels);
}

const DENY_INGRESS = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'default-deny-ingress', namespace: 'backend' },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
};

/** What `allow frontend nginx to backend` produces for the reference scenario's nginx pods. */
const ALLOW_FRONTEND_NGINX = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-frontend-nginx-to-backend-nginx', namespace: 'backend' },
  spec: {
    podSelector: { matchLabels: { app: 'nginx' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } },
            podSelector: { matchLabels: { app: 'nginx' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 80 }],
      },
    ],
  },
};

function pod(name: LabName): NodePod {
  return lab.pod(name);
}

async function connects(from: LabName, to: LabName, timeoutMs = 500): Promise<boolean> {
  return (await pod(from).agent.connect(pod(to).ipv4, 80, timeoutMs)).ok;
}

/** Probes until the verdict is `expected` (the agent applies a change asynchronously). */
async function untilVerdict(from: LabName, to: LabName, expected: boolean, deadlineMs = 15_000) {
  const deadline = Date.now() + deadlineMs;
  while ((await connects(from, to, 300)) !== expected) {
    if (Date.now() > deadline)
      throw new Error(`${from} -> ${to} never became ${expected ? 'open' : 'closed'}`);
  }
}

/** A foreign server on `port` answering 200 to everything (as another test's server would). */
async function squat(port: number): Promise<Server> {
  const server = createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

beforeAll(async () => {
  agentLab = await AgentLab.start({ prefix: PREFIX, node: NODE, pods: PODS, ports: [80, 81] });
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

describe('the node agent over real packets', () => {
  test('no policy: every pod reaches every other', async () => {
    await expect(connects('fe', 'be')).resolves.toBe(true);
    await expect(connects('be', 'fe')).resolves.toBe(true);
    await expect(connects('fe2', 'be')).resolves.toBe(true);
    await expect(pod('fe').agent.connect(PODS.be.ipv6, 80)).resolves.toEqual({ ok: true });
  });

  test('a default-deny-ingress in backend: the connection times out and the drop reaches the stream with both pods named', async () => {
    standIn.seed([DENY_INGRESS]);
    await untilVerdict('fe', 'be', false);
    await expect(pod('fe').agent.connect(pod('be').ipv4, 80, 1_000)).resolves.toMatchObject({
      ok: false,
      error: 'timeout',
    });
    await expect(connects('be', 'fe')).resolves.toBe(true);
    const deadline = Date.now() + 10_000;
    let drop: DropEvent | undefined;
    while (drop === undefined) {
      drop = (await agentLab.drops()).find(
        (event) => event.peer?.name === PODS.fe.name && event.destinationPort === 80,
      );
      if (drop === undefined && Date.now() > deadline) throw new Error('no drop event in the stream');
    }
    expect(drop).toMatchObject({
      cluster: CLUSTER,
      node: NODE_NAME,
      pod: { namespace: 'backend', name: PODS.be.name, labels: { app: 'nginx' } },
      peer: { namespace: 'frontend', name: PODS.fe.name },
      direction: 'ingress',
      reason: 'NO_RULE_INGRESS',
      source: PODS.fe.ipv4,
      destination: PODS.be.ipv4,
      protocol: 6,
    });
  });

  test('the allow policy restores frontend nginx -> backend, and only on its port', async () => {
    standIn.seed([ALLOW_FRONTEND_NGINX]);
    await untilVerdict('fe', 'be', true);
    await expect(pod('fe').agent.connect(pod('be').ipv4, 81, 500)).resolves.toMatchObject({ ok: false });
    await expect(connects('fe2', 'be')).resolves.toBe(true);
    await expect(pod('fe').agent.connect(PODS.be.ipv6, 80)).resolves.toEqual({ ok: true });
  });

  test('relabelling a pod so it no longer matches closes its connections, and only its', async () => {
    standIn.seed([podObject('fe', { app: 'debug' })]);
    await untilVerdict('fe', 'be', false);
    await expect(connects('fe2', 'be')).resolves.toBe(true);
  });

  test('a pod added while policies are in force gets its rules: the allowed peer reaches it, the other does not', async () => {
    await lab.addPod({ name: 'be2', ipv4: LATE.be2.ipv4, ipv6: LATE.be2.ipv6, ports: [80, 81] });
    standIn.seed([podObject('be2')]);
    await untilVerdict('fe', 'be2', false);
    await expect(connects('fe2', 'be2')).resolves.toBe(true);
    await expect(pod('be2').agent.connect(pod('be').ipv4, 80)).resolves.toMatchObject({ ok: false });
  });

  test('a new pod is closed from its first packet: a peer policy denies hammers it while its veth, addresses and route appear, and nothing gets through before or after its rules are in', async () => {
    // fe is labelled app=debug here: backend's policies admit frontend nginx (fe2) only.
    const through: string[] = [];
    let attempts = 0;
    let attemptsWhileRoutable = 0;
    let routable = false;
    let hammering = true;
    const hammer = async (address: string) => {
      while (hammering) {
        const result = await pod('fe').agent.connect(address, 80, 150);
        attempts++;
        if (routable) attemptsWhileRoutable++;
        // ok, or refused/reset: either way a packet of a denied peer reached the pod.
        if (result.ok || result.error === 'ECONNREFUSED' || result.error === 'ECONNRESET')
          through.push(`${address}: ${result.ok ? 'connected' : result.error}`);
      }
    };
    const hammers = [HAMMERED.be3.ipv4, HAMMERED.be3.ipv6, HAMMERED.be3.ipv4].map((address) =>
      hammer(address),
    );
    try {
      // The "CNI": namespace with its server listening, veth, addresses, routes, neighbours.
      await lab.addPod({ name: 'be3', ipv4: HAMMERED.be3.ipv4, ipv6: HAMMERED.be3.ipv6, ports: [80, 81] });
      routable = true;
      // The pod is reachable on the wire now; the API has not heard of it yet. Keep hammering.
      while (attemptsWhileRoutable < 30) await new Promise((resolve) => setImmediate(resolve));
      standIn.seed([podObject('be3')]);
      await untilVerdict('fe2', 'be3', true);
      const after = attempts;
      while (attempts < after + 6) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      hammering = false;
      await Promise.all(hammers);
    }
    expect(attemptsWhileRoutable).toBeGreaterThanOrEqual(30);
    expect(through).toEqual([]);
    // Closed by the link watch (not by the agent's attach after the pod object arrived).
    expect(
      agentLab.agent!.lines.some((line) => line.includes('new host veth closed') && line.includes('hv-be3')),
    ).toBe(true);
    await expect(pod('fe2').agent.connect(HAMMERED.be3.ipv6, 80)).resolves.toEqual({ ok: true });
  });

  test('a drop storm: the per-flow rate limit keeps events to about one per flow a second, and the agent memory bounded', async () => {
    // UDP to backend's nginx is denied (only frontend nginx on TCP 80 is admitted).
    const dropped = '{namespace="backend",pod="nginx-be"}';
    const streamed = async () =>
      (await agentLab.drops()).filter(
        (e) => e.pod?.name === PODS.be.name && e.protocol === 17 && e.destinationPort === 81,
      ).length;
    // Entries ever added (XINFO's entries-added: trimming by MAXLEN does not lower it).
    const entriesAdded = async () => {
      const info = (await client.xinfo('STREAM', agentLab.stream)) as unknown[];
      return Number(info[info.indexOf('entries-added') + 1]);
    };
    const before = {
      dropped: await agentLab.metric('netpol_agent_packets_dropped_total', dropped),
      events: await streamed(),
      published: await agentLab.metric('netpol_agent_drop_events_published_total'),
      entries: await entriesAdded(),
    };
    const rssBefore = rssBytes(agentLab.agent!.pid);

    // One flow, 20,000 packets; then 3,000 flows of 4 packets each.
    const oneFlow = await sendFrom(pod('fe').netns, 'flood', PODS.be.ipv4, 81, 20_000, 1);
    const manyFlows = await sendFrom(pod('fe').netns, 'flood', PODS.be.ipv4, 81, 12_000, 3_000);
    const sent = oneFlow.sent! + manyFlows.sent!;
    const seconds = Math.ceil(oneFlow.seconds! + manyFlows.seconds!) + 1;
    // The kernel counted the drops (per-CPU counters, read on a scrape).
    let droppedNow = 0;
    const deadline = Date.now() + 10_000;
    while (
      (droppedNow = (await agentLab.metric('netpol_agent_packets_dropped_total', dropped)) - before.dropped) <
      sent / 2
    ) {
      if (Date.now() > deadline) throw new Error(`only ${droppedNow} of ${sent} packets counted as dropped`);
    }
    // A marker after the storm: events travel in order (ring buffer, helper, agent, the publisher's
    // FIFO), so once a marker's event is in the stream every storm event was published or discarded.
    // New markers until one is not discarded (the publisher's buffer may still be full).
    const markerDeadline = Date.now() + 20_000;
    const hasMarker = async () =>
      (await agentLab.drops()).some(
        (e) => e.peer?.name === PODS.fe2.name && e.protocol === 17 && e.destinationPort === 82,
      );
    while (!(await hasMarker())) {
      if (Date.now() > markerDeadline) throw new Error('the marker after the storm never reached the stream');
      await sendFrom(pod('fe2').netns, 'udp', PODS.be.ipv4, 82, 1, 100, 'none');
    }
    const events = (await streamed()) - before.events;
    const published = (await agentLab.metric('netpol_agent_drop_events_published_total')) - before.published;
    const entries = (await entriesAdded()) - before.entries;
    const discarded = await agentLab.metric('netpol_agent_drop_events_discarded_total');
    const suppressed = await agentLab.metric('netpol_agent_events_suppressed_total');
    const rssGrowth = rssBytes(agentLab.agent!.pid) - rssBefore;
    process.stderr.write(
      `drop storm: ${sent} packets sent, ${droppedNow} dropped, ${published} events published in ${entries} stream entries (${events} after coalescing), ${discarded} discarded, ${suppressed} suppressed, agent RSS +${Math.round(rssGrowth / 1024 / 1024)} MiB\n`,
    );
    // The agent batches and coalesces by default: the 3,000 flows' events (one flow but for the
    // source port) travel in a few entries, not one entry each.
    expect(published).toBeGreaterThan(1_000);
    expect(entries * 10).toBeLessThan(published);
    // At most one event per flow per second (1 + 3,000 flows), against 32,000 packets.
    expect(events + discarded).toBeLessThanOrEqual(3_001 * seconds);
    expect(events).toBeGreaterThan(0);
    expect(suppressed).toBeGreaterThanOrEqual(droppedNow - 3_001 * seconds);
    expect(rssGrowth).toBeLessThan(64 * 1024 * 1024);
  });

  test('the agent killed with SIGKILL and restarted: no wrong verdict while it is down or after it adopts the pinned maps', async () => {
    const wrong: string[] = [];
    const probeOnce = async () => {
      const [denied, allowed] = await Promise.all([connects('fe', 'be', 300), connects('fe2', 'be', 300)]);
      if (denied) wrong.push('fe -> be connected');
      if (!allowed) wrong.push('fe2 -> be refused');
    };
    await agentLab.agent!.kill();
    expect(agentLab.agent!.running).toBe(false);
    // The machine is shared: while the agent is down, another process may take its old port and
    // answer /readyz there. The restart must still wait for the new agent itself.
    const squatter = await squat(agentLab.healthPort);
    try {
      for (let i = 0; i < 3; i++) await probeOnce();
      const restarting = agentLab.startAgent();
      let done = false;
      void restarting.finally(() => (done = true)).catch(() => undefined);
      while (!done) await probeOnce();
      await restarting;
      for (let i = 0; i < 3; i++) await probeOnce();
      expect(wrong).toEqual([]);
      // The restarted agent still follows changes.
      standIn.seed([podObject('fe')]);
      await untilVerdict('fe', 'be', true);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  test('a pod created while the agent is down is open until the restarted agent has attached the pods it knows, then closed until its own rules are in', async () => {
    const helpers = childPids(agentLab.agent!.pid);
    await agentLab.agent!.kill();
    await untilGone(helpers);
    await lab.addPod({ name: 'be4', ipv4: WHILE_DOWN.be4.ipv4, ipv6: WHILE_DOWN.be4.ipv6, ports: [80, 81] });
    // The window README documents: nothing watches while the agent is down.
    await expect(connects('fe2', 'be4')).resolves.toBe(true);
    await agentLab.startAgent();
    // Ready means the first pass is done, and with it the veths nobody claimed are closed.
    expect(
      agentLab.agent!.lines.some(
        (line) => line.includes('while the agent was down') && line.includes('hv-be4'),
      ),
    ).toBe(true);
    await expect(connects('fe2', 'be4')).resolves.toBe(false);
    await expect(pod('fe2').agent.connect(WHILE_DOWN.be4.ipv6, 80, 500)).resolves.toMatchObject({
      ok: false,
    });
    standIn.seed([podObject('be4')]);
    await untilVerdict('fe2', 'be4', true);
    await expect(connects('be', 'be4')).resolves.toBe(false);
  });

  test('clean-up leaves no namespace, link, pinned map or process behind', async () => {
    const pids = agentLab.pids();
    expect(childPids(agentLab.agent!.pid, 'netpol-loader')).toHaveLength(1);
    await agentLab.teardown();
    await expect(agentLab.remains(pids)).resolves.toEqual([]);
  });
});
