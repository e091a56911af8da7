/**
 * The same-node single pass (bpf/netpol.bpf.c, README "The dataplane"): a connection between two
 * pods of one node is judged for both pods at the initiator's host veth, and the destination's
 * program passes what is marked for its own veth. What a user must still see: both pods' counters,
 * the destination's drop events, a packet DNAT'd to another local pod judged by THAT pod's rules,
 * and a destination made not ready closed to an established connection. Root only; everything has
 * the prefix np-dp-<pid>-sn- and is removed in afterAll.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { DIRECTION, IDENTITY, type DataplaneEvent } from '../../src/adapters/bpf/abi';
import { BpfDataplane, type EndpointState } from '../../src/adapters/bpf/bpf-dataplane';
import { NodeNetwork } from '../../src/devtools/lab/netns';
import {
  LOADER_PATH,
  OBJECT_PATH,
  ensureDataplanePrerequisites,
  sweepLeftovers,
} from './support/dataplane-prerequisites';
import { leftovers } from './support/leftovers';

const run = promisify(execFile);
const PREFIX = `np-dp-${process.pid}-sn-`;
const PIN_DIR = `/sys/fs/bpf/${PREFIX}maps`;
const NODE = { ipv4: '10.73.255.1', ipv6: 'fd73::ff:1' };
const PODS = {
  a: { ipv4: '10.73.0.2', ipv6: 'fd73::2', identity: 500 },
  b: { ipv4: '10.73.0.3', ipv6: 'fd73::3', identity: 501 },
  c: { ipv4: '10.73.0.4', ipv6: 'fd73::4', identity: 502 },
} as const;
type PodName = keyof typeof PODS;
/** The single-pass mark's magic nibble (NETPOL_MARK_MAGIC in bpf/netpol.bpf.c). */
const MARK_MAGIC = '0xd00/0xf00';

let lab: NodeNetwork;
let dataplane: BpfDataplane;
const events: DataplaneEvent[] = [];
const ifindexOf = new Map<PodName, number>();

async function inNode(...argv: string[]): Promise<string> {
  return (await run('ip', ['netns', 'exec', lab.nodeNetns, ...argv])).stdout;
}

async function waitFor<T>(what: string, probe: () => T | undefined, deadlineMs = 5_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function setEndpoint(name: PodName, state: Partial<EndpointState>): Promise<void> {
  await dataplane.setEndpoint(ifindexOf.get(name)!, {
    endpointId: ifindexOf.get(name)!,
    ready: true,
    ingressIsolated: false,
    egressIsolated: false,
    ...state,
  });
}

/** Packets the node forwarded with the single-pass mark (an iptables counter in the node namespace). */
async function markedForwards(): Promise<number> {
  const out = await inNode('iptables', '-t', 'mangle', '-L', 'FORWARD', '-v', '-x', '-n');
  const line = out.split('\n').find((row) => row.includes('mark match'));
  if (!line) throw new Error(`no mark counter in the node's mangle FORWARD chain:\n${out}`);
  return Number(line.trim().split(/\s+/)[0]);
}

let tornDown: Promise<void> | undefined;
function teardown(): Promise<void> {
  tornDown ??= (async () => {
    await dataplane?.close();
    await lab?.destroy();
    rmSync(PIN_DIR, { recursive: true, force: true });
  })();
  return tornDown;
}

beforeAll(async () => {
  ensureDataplanePrerequisites();
  sweepLeftovers();
  lab = new NodeNetwork(PREFIX, NODE);
  try {
    await lab.createNode();
    for (const [name, pod] of Object.entries(PODS))
      await lab.addPod({ name, ipv4: pod.ipv4, ipv6: pod.ipv6, ports: [80] });
    await inNode('iptables', '-t', 'mangle', '-A', 'FORWARD', '-m', 'mark', '--mark', MARK_MAGIC);
    dataplane = await BpfDataplane.open({
      pinDir: PIN_DIR,
      objectPath: OBJECT_PATH,
      loaderPath: LOADER_PATH,
      config: { eventIntervalNs: 0n },
      onEvent: (event) => events.push(event),
      onLog: (line) => process.stderr.write(`netpol-loader: ${line}\n`),
    });
    await dataplane.setIdentities([
      { cidr: `${NODE.ipv4}/32`, identity: IDENTITY.HOST },
      ...Object.values(PODS).flatMap((pod) => [
        { cidr: pod.ipv4, identity: pod.identity },
        { cidr: pod.ipv6, identity: pod.identity },
      ]),
    ]);
    for (const name of Object.keys(PODS) as PodName[]) {
      const ifindex = await dataplane.attach(lab.nodeNetns, lab.pod(name).hostIf);
      ifindexOf.set(name, ifindex);
      await setEndpoint(name, {});
    }
  } catch (err) {
    await teardown();
    throw err;
  }
}, 60_000);

afterAll(teardown, 30_000);

beforeEach(async () => {
  events.length = 0;
  for (const name of Object.keys(PODS) as PodName[]) {
    await setEndpoint(name, {});
    await dataplane.clearRules(ifindexOf.get(name)!, DIRECTION.INGRESS);
  }
});

describe('same-node single pass', () => {
  test('a connection between two pods of the node is judged at the initiator veth, counted for both pods', async () => {
    const [aBefore, bBefore, markedBefore] = await Promise.all([
      dataplane.endpointCounters(ifindexOf.get('a')!),
      dataplane.endpointCounters(ifindexOf.get('b')!),
      markedForwards(),
    ]);
    await setEndpoint('b', { ingressIsolated: true });
    await dataplane.swapRules(ifindexOf.get('b')!, DIRECTION.INGRESS, [
      { identity: PODS.a.identity, protocol: 'TCP', port: 80 },
    ]);
    await expect(lab.pod('a').agent.connect(PODS.b.ipv4, 80)).resolves.toEqual({ ok: true });
    await expect(lab.pod('a').agent.connect(PODS.b.ipv6, 80)).resolves.toEqual({ ok: true });
    const [aAfter, bAfter] = await Promise.all([
      dataplane.endpointCounters(ifindexOf.get('a')!),
      dataplane.endpointCounters(ifindexOf.get('b')!),
    ]);
    // SYN, ACK and the close from a; SYN-ACK and the close from b: each counted for both pods.
    expect(aAfter!.allowedPackets - (aBefore?.allowedPackets ?? 0n)).toBeGreaterThanOrEqual(6n);
    expect(bAfter!.allowedPackets - (bBefore?.allowedPackets ?? 0n)).toBeGreaterThanOrEqual(6n);
    // The node forwarded them marked: the destination's program passed them on the mark.
    expect((await markedForwards()) - markedBefore).toBeGreaterThanOrEqual(6);
  });

  test("the destination's drop is counted and reported under the destination, as its own veth would", async () => {
    await setEndpoint('b', { ingressIsolated: true });
    await dataplane.swapRules(ifindexOf.get('b')!, DIRECTION.INGRESS, []);
    const before = await dataplane.endpointCounters(ifindexOf.get('b')!);
    await expect(lab.pod('a').agent.connect(PODS.b.ipv4, 80, 500)).resolves.toMatchObject({
      ok: false,
      error: 'timeout',
    });
    const drop = await waitFor('the drop event', () => events.find((event) => event.kind === 'drop'));
    expect(drop).toMatchObject({
      endpointId: ifindexOf.get('b'),
      peerIdentity: PODS.a.identity,
      direction: 'ingress',
      reason: 'NO_RULE_INGRESS',
      source: PODS.a.ipv4,
      destination: PODS.b.ipv4,
    });
    const after = await dataplane.endpointCounters(ifindexOf.get('b')!);
    expect(after!.droppedPackets).toBeGreaterThan(before?.droppedPackets ?? 0n);
  });

  test("a packet DNAT'd on the node to another local pod is judged by that pod's rules, not passed on the mark", async () => {
    // b's address, port 80, is rewritten to c's in the node namespace (after a's veth judged b).
    const dnat = ['PREROUTING', '-d', PODS.b.ipv4, '-p', 'tcp', '--dport', '80', '-j', 'DNAT'];
    const rule = [...dnat, '--to-destination', PODS.c.ipv4];
    await inNode('iptables', '-t', 'nat', '-A', ...rule);
    try {
      await setEndpoint('c', { ingressIsolated: true });
      await dataplane.swapRules(ifindexOf.get('c')!, DIRECTION.INGRESS, []);
      await expect(lab.pod('a').agent.connect(PODS.b.ipv4, 80, 500)).resolves.toMatchObject({ ok: false });
      await waitFor("c's drop event", () =>
        events.find((event) => event.kind === 'drop' && event.endpointId === ifindexOf.get('c')),
      );
      await dataplane.swapRules(ifindexOf.get('c')!, DIRECTION.INGRESS, [
        { identity: PODS.a.identity, protocol: 'TCP', port: 80 },
      ]);
      await expect(lab.pod('a').agent.connect(PODS.b.ipv4, 80)).resolves.toEqual({ ok: true });
    } finally {
      await inNode('iptables', '-t', 'nat', '-D', ...rule);
    }
  });

  test('a destination made not ready is closed to an established same-node connection, and opens again', async () => {
    const a = lab.pod('a').agent;
    await expect(a.open('sn', PODS.b.ipv4, 80)).resolves.toEqual({ ok: true });
    await expect(a.echo('sn')).resolves.toEqual({ ok: true });
    await setEndpoint('b', { ready: false });
    await expect(a.echo('sn', 500)).resolves.toMatchObject({ ok: false });
    await waitFor('the NOT_READY drop', () => events.find((event) => event.reason === 'NOT_READY'));
    await setEndpoint('b', {});
    await expect(a.echo('sn', 2_000)).resolves.toEqual({ ok: true });
  });

  test('clean-up leaves no namespace, link, pinned map or process behind', async () => {
    const pids = lab.pids();
    await teardown();
    await expect(leftovers({ netnsPrefix: PREFIX, pinDirs: [PIN_DIR], pids })).resolves.toEqual([]);
  });
});
