/**
 * The eBPF dataplane over real packets: pods as network namespaces behind routed host veths in a
 * node namespace, the programs attached through the loader helper, real TCP and UDP connections
 * that succeed or time out. Needs root (fails, never skips, without it). Everything it makes has
 * the prefix np-dp-<pid>- and is removed in afterAll.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { DIRECTION, IDENTITY, type DataplaneEvent } from '../../src/adapters/bpf/abi';
import { BpfDataplane, type EndpointState, type PolicyRule } from '../../src/adapters/bpf/bpf-dataplane';
import { refineIpBlocks } from '../../src/adapters/bpf/ipblock-refinement';
import {
  LOADER_PATH,
  OBJECT_PATH,
  ensureDataplanePrerequisites,
  sweepLeftovers,
} from './support/dataplane-prerequisites';
import { NodeNetwork, type NodePod } from '../../src/devtools/lab/netns';
import { childPids, leftovers } from './support/leftovers';
import { sendFrom, startIn } from './support/packet-sender';

const PREFIX = `np-dp-${process.pid}-`;
const PIN_DIR = `/sys/fs/bpf/${PREFIX}maps`;
const PORTS = [80, 81, 8050, 8200];
const NODE = { ipv4: '10.77.255.1', ipv6: 'fd77::ff:1' };

/** Identities and endpoint ids the test assigns (the agent's allocator will later). */
const POD_IDENTITY = { a: 300, b: 301, c: 302 } as const;
const ENDPOINT_ID = { a: 1, b: 2, c: 3 } as const;
type PodName = keyof typeof POD_IDENTITY;

let lab: NodeNetwork;
let dataplane: BpfDataplane;
const events: DataplaneEvent[] = [];
const ifindexOf = new Map<string, number>();

async function waitFor<T>(what: string, probe: () => T | undefined, deadlineMs = 5_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function pod(name: string): NodePod {
  return lab.pod(name);
}

async function setEndpoint(name: PodName, state: Partial<EndpointState>): Promise<void> {
  await dataplane.setEndpoint(ifindexOf.get(name)!, {
    endpointId: ENDPOINT_ID[name],
    ready: true,
    ingressIsolated: false,
    egressIsolated: false,
    ...state,
  });
}

async function isolate(name: PodName, direction: 'ingress' | 'egress', rules: PolicyRule[]): Promise<void> {
  await dataplane.swapRules(
    ENDPOINT_ID[name],
    direction === 'ingress' ? DIRECTION.INGRESS : DIRECTION.EGRESS,
    rules,
  );
}

beforeAll(async () => {
  ensureDataplanePrerequisites();
  sweepLeftovers();
  lab = new NodeNetwork(PREFIX, NODE);
  try {
    await lab.createNode();
    await lab.addPod({ name: 'a', ipv4: '10.77.0.2', ipv6: 'fd77::2', ports: PORTS });
    await lab.addPod({ name: 'b', ipv4: '10.77.0.3', ipv6: 'fd77::3', ports: PORTS });
    await lab.addPod({ name: 'c', ipv4: '10.77.0.4', ipv6: 'fd77::4', ports: PORTS });
    // Outside the cluster: no endpoint, no pod identity; the ipBlock case's peers.
    await lab.addPod({ name: 'x1', ipv4: '10.78.0.10', ipv6: 'fd78::10', ports: PORTS });
    await lab.addPod({ name: 'x2', ipv4: '10.78.0.20', ipv6: 'fd78::20', ports: PORTS });
    dataplane = await BpfDataplane.open({
      pinDir: PIN_DIR,
      objectPath: OBJECT_PATH,
      loaderPath: LOADER_PATH,
      // Every drop reported; UDP entries live 1 s, so a test can see one age out.
      config: { eventIntervalNs: 0n, ctOtherLifetimeS: 1 },
      onEvent: (event) => events.push(event),
      onLog: (line) => process.stderr.write(`netpol-loader: ${line}\n`),
    });
    await dataplane.setIdentities([
      { cidr: `${NODE.ipv4}/32`, identity: IDENTITY.HOST },
      { cidr: `${NODE.ipv6}/128`, identity: IDENTITY.HOST },
      ...(['a', 'b', 'c'] as const).flatMap((name) => [
        { cidr: pod(name).ipv4, identity: POD_IDENTITY[name] },
        { cidr: pod(name).ipv6, identity: POD_IDENTITY[name] },
      ]),
    ]);
    for (const name of ['a', 'b', 'c'] as const) {
      // The endpoint entry first (deny until ready), then the attach: never an open window.
      const link = execFileSync('ip', ['-n', lab.nodeNetns, '-j', 'link', 'show', 'dev', pod(name).hostIf], {
        encoding: 'utf8',
      });
      const ifindex = (JSON.parse(link) as { ifindex: number }[])[0]!.ifindex;
      ifindexOf.set(name, ifindex);
      await setEndpoint(name, { ready: false });
      expect(await dataplane.attach(lab.nodeNetns, pod(name).hostIf)).toBe(ifindex);
    }
  } catch (err) {
    await teardown();
    throw err;
  }
}, 60_000);

let tornDown: Promise<void> | undefined;
/** Removes everything, once (the last test calls it to check, afterAll again on a failure). */
function teardown(): Promise<void> {
  tornDown ??= removeAll();
  return tornDown;
}

async function removeAll(): Promise<void> {
  await dataplane?.close();
  await lab?.destroy();
  rmSync(PIN_DIR, { recursive: true, force: true });
}

afterAll(teardown, 30_000);

beforeEach(async () => {
  events.length = 0;
  for (const name of ['a', 'b', 'c'] as const) {
    await setEndpoint(name, {});
    await dataplane.clearRules(ENDPOINT_ID[name], DIRECTION.INGRESS);
    await dataplane.clearRules(ENDPOINT_ID[name], DIRECTION.EGRESS);
  }
});

describe('the eBPF dataplane over real packets', () => {
  test('no policy: TCP and UDP work over IPv4 and IPv6', async () => {
    const a = pod('a').agent;
    await expect(a.connect(pod('b').ipv4, 80)).resolves.toEqual({ ok: true });
    await expect(a.connect(pod('b').ipv6, 80)).resolves.toEqual({ ok: true });
    await expect(a.udp(pod('b').ipv4, 81)).resolves.toEqual({ ok: true });
    await expect(a.udp(pod('b').ipv6, 81)).resolves.toEqual({ ok: true });
  });

  test('ingress isolated with no rule: connects time out and a drop event names the endpoint and the reason', async () => {
    await setEndpoint('b', { ingressIsolated: true });
    await isolate('b', 'ingress', []);
    // No rule set at all: an empty one would cost a map-in-map write (an RCU grace period).
    expect(await dataplane.mapKeys('policy')).toEqual([]);
    await expect(pod('a').agent.connect(pod('b').ipv4, 80)).resolves.toMatchObject({
      ok: false,
      error: 'timeout',
    });
    await expect(pod('a').agent.udp(pod('b').ipv6, 81)).resolves.toMatchObject({ ok: false });
    const drop = await waitFor('a TCP drop event', () =>
      events.find((event) => event.kind === 'drop' && event.protocol === 6 && event.destinationPort === 80),
    );
    expect(drop).toMatchObject({
      endpointId: ENDPOINT_ID.b,
      peerIdentity: POD_IDENTITY.a,
      direction: 'ingress',
      reason: 'NO_RULE_INGRESS',
      source: pod('a').ipv4,
      destination: pod('b').ipv4,
    });
    await waitFor('a UDP/IPv6 drop event', () =>
      events.find((event) => event.family === 6 && event.protocol === 17 && event.destinationPort === 81),
    );
    const counters = await dataplane.endpointCounters(ENDPOINT_ID.b);
    expect(counters!.droppedPackets).toBeGreaterThan(0n);
  });

  test('an allow rule for the peer identity on the port lets that peer in, and nothing else', async () => {
    await setEndpoint('b', { ingressIsolated: true });
    await isolate('b', 'ingress', [{ identity: POD_IDENTITY.a, protocol: 'TCP', port: 80 }]);
    await expect(pod('a').agent.connect(pod('b').ipv4, 80)).resolves.toEqual({ ok: true });
    await expect(pod('a').agent.connect(pod('b').ipv6, 80)).resolves.toEqual({ ok: true });
    const denied = await Promise.all([
      pod('c').agent.connect(pod('b').ipv4, 80),
      pod('a').agent.connect(pod('b').ipv4, 81),
      pod('a').agent.udp(pod('b').ipv4, 80),
    ]);
    expect(denied.map((result) => result.ok)).toEqual([false, false, false]);
  });

  test('a port range rule (endPort) allows inside the range only', async () => {
    await setEndpoint('b', { ingressIsolated: true });
    await isolate('b', 'ingress', [{ identity: IDENTITY.ANY, protocol: 'TCP', port: 8000, endPort: 8100 }]);
    await expect(pod('c').agent.connect(pod('b').ipv4, 8050)).resolves.toEqual({ ok: true });
    await expect(pod('c').agent.connect(pod('b').ipv4, 8200)).resolves.toMatchObject({ ok: false });
    await expect(pod('c').agent.connect(pod('b').ipv4, 80)).resolves.toMatchObject({ ok: false });
  });

  test('an ipBlock with except: one longest-prefix lookup tells the allowed peers from the excepted', async () => {
    let next = 5_000;
    const refinement = refineIpBlocks([{ cidr: '10.78.0.0/24', except: ['10.78.0.16/28'] }], () => next++);
    await dataplane.setIdentities(refinement.entries.map(({ cidr, identity }) => ({ cidr, identity })));
    try {
      await setEndpoint('b', { ingressIsolated: true });
      await isolate(
        'b',
        'ingress',
        refinement.blockIdentities[0]!.map((identity) => ({ identity, protocol: 'TCP' as const, port: 80 })),
      );
      await expect(pod('x1').agent.connect(pod('b').ipv4, 80)).resolves.toEqual({ ok: true });
      await expect(pod('x2').agent.connect(pod('b').ipv4, 80)).resolves.toMatchObject({ ok: false });
      const drop = await waitFor('the excepted peer dropped', () =>
        events.find((event) => event.source === pod('x2').ipv4),
      );
      expect(drop.peerIdentity).not.toBe(IDENTITY.WORLD);
    } finally {
      await dataplane.removeIdentities(refinement.entries.map((entry) => entry.cidr));
    }
  });

  test("replies of an allowed egress connection pass although the client's ingress has no rule", async () => {
    await setEndpoint('a', { ingressIsolated: true, egressIsolated: true });
    await isolate('a', 'ingress', []);
    await isolate('a', 'egress', [{ identity: POD_IDENTITY.b, protocol: 'TCP', port: 80 }]);
    await expect(pod('a').agent.open('reply', pod('b').ipv4, 80)).resolves.toEqual({ ok: true });
    await expect(pod('a').agent.echo('reply')).resolves.toEqual({ ok: true });
    await expect(pod('a').agent.connect(pod('b').ipv4, 81)).resolves.toMatchObject({ ok: false });
    await expect(pod('b').agent.connect(pod('a').ipv4, 80)).resolves.toMatchObject({ ok: false });
    await waitFor('the egress drop event', () =>
      events.find((event) => event.reason === 'NO_RULE_EGRESS' && event.endpointId === ENDPOINT_ID.a),
    );
  });

  test('an established connection survives a rule-set swap that denies new ones', async () => {
    await setEndpoint('b', { ingressIsolated: true });
    await isolate('b', 'ingress', [{ identity: POD_IDENTITY.a, protocol: 'TCP', port: 80 }]);
    await expect(pod('a').agent.open('kept', pod('b').ipv6, 80)).resolves.toEqual({ ok: true });
    await isolate('b', 'ingress', []);
    await expect(pod('a').agent.echo('kept')).resolves.toEqual({ ok: true });
    await expect(pod('a').agent.connect(pod('b').ipv6, 80)).resolves.toMatchObject({ ok: false });
  });

  test('traffic from the node itself is always allowed, even to an isolated pod that is not ready', async () => {
    await setEndpoint('b', { ready: false, ingressIsolated: true, egressIsolated: true });
    await isolate('b', 'ingress', []);
    await expect(lab.nodeAgent!.connect(pod('b').ipv4, 80)).resolves.toEqual({ ok: true });
    await expect(lab.nodeAgent!.connect(pod('b').ipv6, 81)).resolves.toEqual({ ok: true });
    await expect(pod('a').agent.connect(pod('b').ipv4, 80)).resolves.toMatchObject({ ok: false });
  });

  test('deny until ready: a pod whose rules are not computed is closed both ways, then opens', async () => {
    await setEndpoint('c', { ready: false });
    await expect(pod('a').agent.connect(pod('c').ipv4, 80)).resolves.toMatchObject({ ok: false });
    await expect(pod('c').agent.connect(pod('a').ipv4, 80)).resolves.toMatchObject({ ok: false });
    const drop = await waitFor('a NOT_READY drop', () =>
      events.find((event) => event.reason === 'NOT_READY' && event.endpointId === ENDPOINT_ID.c),
    );
    expect(drop.endpointId).toBe(ENDPOINT_ID.c);
    await setEndpoint('c', { ready: true });
    await expect(pod('a').agent.connect(pod('c').ipv4, 80)).resolves.toEqual({ ok: true });
    await expect(pod('c').agent.connect(pod('a').ipv4, 80)).resolves.toEqual({ ok: true });
  });

  describe('defined verdicts for what is not a plain TCP or UDP packet', () => {
    const UDP_81 = [{ identity: POD_IDENTITY.a, protocol: 'UDP' as const, port: 81 }];

    test('fragments: a datagram over the MTU passes when not isolated; with a rule for its port only the first fragment does (FRAGMENT), with an any-port rule all do; IPv4 and IPv6', async () => {
      for (const address of [pod('b').ipv4, pod('b').ipv6]) {
        await expect(sendFrom(pod('a').netns, 'udp', address, 81, 3000, 1500, 'none')).resolves.toEqual({
          ok: true,
        });
      }
      await setEndpoint('b', { ingressIsolated: true });
      await isolate('b', 'ingress', UDP_81);
      for (const address of [pod('b').ipv4, pod('b').ipv6]) {
        await expect(sendFrom(pod('a').netns, 'udp', address, 81, 10, 1500, 'none')).resolves.toEqual({
          ok: true,
        });
        await expect(sendFrom(pod('a').netns, 'udp', address, 81, 3000, 800, 'none')).resolves.toMatchObject({
          ok: false,
        });
        await waitFor(`a FRAGMENT drop from ${address}`, () =>
          events.find(
            (event) =>
              event.reason === 'FRAGMENT' && event.destination === address && event.source !== undefined,
          ),
        );
      }
      await isolate('b', 'ingress', [{ identity: POD_IDENTITY.a, protocol: 'UDP' }]);
      for (const address of [pod('b').ipv4, pod('b').ipv6]) {
        await expect(sendFrom(pod('a').netns, 'udp', address, 81, 3000, 1500, 'none')).resolves.toEqual({
          ok: true,
        });
      }
    });

    test('IPv4 options are skipped: the port after them is the one judged', async () => {
      await setEndpoint('b', { ingressIsolated: true });
      await isolate('b', 'ingress', UDP_81);
      await expect(sendFrom(pod('a').netns, 'udp', pod('b').ipv4, 81, 10, 1500, 'ipopts')).resolves.toEqual({
        ok: true,
      });
      await expect(
        sendFrom(pod('a').netns, 'udp', pod('b').ipv4, 80, 10, 800, 'ipopts'),
      ).resolves.toMatchObject({ ok: false });
      await waitFor('the port-80 drop', () =>
        events.find(
          (event) =>
            event.reason === 'NO_RULE_INGRESS' && event.protocol === 17 && event.destinationPort === 80,
        ),
      );
    });

    test('IPv6 hop-by-hop and destination-options headers are walked: the port after them is the one judged', async () => {
      await setEndpoint('b', { ingressIsolated: true });
      await isolate('b', 'ingress', UDP_81);
      for (const kind of ['hopopts', 'dstopts']) {
        await expect(sendFrom(pod('a').netns, 'udp', pod('b').ipv6, 81, 10, 1500, kind)).resolves.toEqual({
          ok: true,
        });
        await expect(
          sendFrom(pod('a').netns, 'udp', pod('b').ipv6, 80, 10, 800, kind),
        ).resolves.toMatchObject({ ok: false });
      }
      await expect(
        sendFrom(pod('a').netns, 'ext6', pod('a').ipv6, pod('b').ipv6, 81, 6, 1500),
      ).resolves.toEqual({ ok: true });
    });

    test('more IPv6 extension headers than the program walks (7) are unparsable: passed when the direction is open, dropped (UNPARSABLE) when isolated', async () => {
      await expect(
        sendFrom(pod('a').netns, 'ext6', pod('a').ipv6, pod('b').ipv6, 81, 7, 1500),
      ).resolves.toEqual({ ok: true });
      await setEndpoint('b', { ingressIsolated: true });
      await isolate('b', 'ingress', UDP_81);
      await expect(
        sendFrom(pod('a').netns, 'ext6', pod('a').ipv6, pod('b').ipv6, 81, 7, 800),
      ).resolves.toMatchObject({ ok: false });
      const drop = await waitFor('an UNPARSABLE drop', () =>
        events.find((event) => event.reason === 'UNPARSABLE'),
      );
      expect(drop).toMatchObject({
        source: pod('a').ipv6,
        destination: pod('b').ipv6,
        endpointId: ENDPOINT_ID.b,
      });
    });

    test('a truncated TCP header is unparsable: counted as allowed when the direction is open, dropped (UNPARSABLE) when isolated', async () => {
      const before = (await dataplane.endpointCounters(ENDPOINT_ID.b))!.allowedPackets;
      await expect(sendFrom(pod('a').netns, 'trunc', pod('a').ipv4, pod('b').ipv4)).resolves.toEqual({
        ok: true,
      });
      const deadline = Date.now() + 5_000;
      while ((await dataplane.endpointCounters(ENDPOINT_ID.b))!.allowedPackets === before) {
        if (Date.now() > deadline) throw new Error('the truncated packet was never counted as allowed');
      }
      await setEndpoint('b', { ingressIsolated: true });
      await isolate('b', 'ingress', [{ identity: POD_IDENTITY.a, protocol: 'TCP', port: 80 }]);
      await sendFrom(pod('a').netns, 'trunc', pod('a').ipv4, pod('b').ipv4);
      const drop = await waitFor('an UNPARSABLE drop', () =>
        events.find((event) => event.reason === 'UNPARSABLE'),
      );
      expect(drop).toMatchObject({
        source: pod('a').ipv4,
        destination: pod('b').ipv4,
        endpointId: ENDPOINT_ID.b,
      });
    });
  });

  test('UDP conntrack entries age out: an answer within the lifetime passes, one after it is judged as a new flow', async () => {
    // a's ingress is isolated with no rule: only answers to what a sent (conntrack) get in.
    await setEndpoint('a', { ingressIsolated: true });
    await isolate('a', 'ingress', []);
    const soon = await startIn(pod('b').netns, 'serve-late', 9000, 300);
    try {
      await expect(sendFrom(pod('a').netns, 'twice', pod('b').ipv4, 9000, 1500)).resolves.toEqual({
        ok: true,
        second: true,
      });
    } finally {
      soon.stop();
    }
    // The lifetime is 1 s (ctOtherLifetimeS): an answer 2.5 s after the last packet of the flow.
    const late = await startIn(pod('b').netns, 'serve-late', 9000, 2500);
    try {
      await expect(sendFrom(pod('a').netns, 'twice', pod('b').ipv4, 9000, 4000)).resolves.toEqual({
        ok: true,
        second: false,
      });
    } finally {
      late.stop();
    }
    const drop = await waitFor('the late answer dropped', () =>
      events.find((event) => event.reason === 'NO_RULE_INGRESS' && event.sourcePort === 9000),
    );
    expect(drop).toMatchObject({ endpointId: ENDPOINT_ID.a, source: pod('b').ipv4 });
  });

  test('clean-up leaves no namespace, link, pinned map or process behind', async () => {
    const pids = [...childPids(process.pid, 'netpol-loader'), ...lab.pids()];
    expect(pids.length).toBeGreaterThan(5);
    await teardown();
    await expect(leftovers({ netnsPrefix: PREFIX, pinDirs: [PIN_DIR], pids })).resolves.toEqual([]);
  });
});
