/**
 * The capabilities the Helm DaemonSet gives the agent (BPF and NET_ADMIN, no SYS_ADMIN) are enough
 * when the agent runs in the node's network namespace (hostNetwork, NETPOL_NODE_NETNS "-"): the
 * loader helper, started inside a node namespace with every other capability out of its bounding
 * set (setpriv), loads and pins, attaches, watches for new veths, writes maps, and the programs
 * enforce real connections. Entering another namespace is what needs SYS_ADMIN, and is refused.
 * Root only; everything has the prefix np-dp-<pid>-cap- and is removed in afterAll.
 */
import { execFile } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DIRECTION, IDENTITY } from '../../src/adapters/bpf/abi';
import { BpfDataplane } from '../../src/adapters/bpf/bpf-dataplane';
import {
  LOADER_PATH,
  OBJECT_PATH,
  ensureDataplanePrerequisites,
  sweepLeftovers,
} from './support/dataplane-prerequisites';
import { NodeNetwork } from '../../src/devtools/lab/netns';

const run = promisify(execFile);
const PREFIX = `np-dp-${process.pid}-cap-`;
const PIN_DIR = `/sys/fs/bpf/${PREFIX}maps`;
const WRAPPER = join(tmpdir(), `${PREFIX}loader.sh`);
const NODE = { ipv4: '10.76.255.1', ipv6: 'fd76::ff:1' };

let lab: NodeNetwork;

async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args)).stdout;
}

/** The tc filters on both hooks of a link. */
async function filters(netns: string, ifname: string): Promise<string> {
  const hooks = await Promise.all(
    ['ingress', 'egress'].map(
      async (hook) => (await run('tc', ['-n', netns, 'filter', 'show', 'dev', ifname, hook])).stdout,
    ),
  );
  return hooks.join('');
}

async function until(condition: () => boolean, deadlineMs = 5_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out; link notices: ${linkNotices.join(', ')}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
let dataplane: BpfDataplane | undefined;
const linkNotices: string[] = [];

async function teardown(): Promise<void> {
  await dataplane?.close();
  await lab?.destroy();
  rmSync(PIN_DIR, { recursive: true, force: true });
  rmSync(WRAPPER, { force: true });
}

beforeAll(async () => {
  ensureDataplanePrerequisites();
  sweepLeftovers();
  try {
    lab = new NodeNetwork(PREFIX, NODE);
    await lab.createNode();
    await lab.addPod({ name: 'a', ipv4: '10.76.0.2', ipv6: 'fd76::2', ports: [80] });
    await lab.addPod({ name: 'b', ipv4: '10.76.0.3', ipv6: 'fd76::3', ports: [80] });
    // The helper as the DaemonSet runs it: in the node's namespace, BPF and NET_ADMIN only
    // (uid 0 gets exactly its bounding set on exec). nsenter, not `ip netns exec`: the latter
    // remounts /sys, hiding bpffs.
    writeFileSync(
      WRAPPER,
      `#!/bin/sh\nexec nsenter --net=/var/run/netns/${lab.nodeNetns} setpriv --bounding-set -all,+bpf,+net_admin -- ${LOADER_PATH}\n`,
    );
    chmodSync(WRAPPER, 0o755);
    dataplane = await BpfDataplane.open({
      pinDir: PIN_DIR,
      objectPath: OBJECT_PATH,
      loaderPath: WRAPPER,
      onLink: (notice) =>
        linkNotices.push(notice.kind === 'overrun' ? 'overrun' : `${notice.kind} ${notice.ifname}`),
      onLog: (line) => process.stderr.write(`netpol-loader: ${line}\n`),
    });
  } catch (err) {
    await teardown();
    throw err;
  }
}, 60_000);

afterAll(teardown, 30_000);

describe('the loader helper with BPF and NET_ADMIN only, in the node namespace', () => {
  test('attaches, writes maps and swaps rules with no setns: an isolated pod drops, an allowed peer connects', async () => {
    const dp = dataplane!;
    const ifindex = await dp.attach('-', lab.pod('b').hostIf);
    await dp.setIdentities([
      { cidr: `${NODE.ipv4}/32`, identity: IDENTITY.HOST },
      { cidr: `${lab.pod('a').ipv4}/32`, identity: 400 },
    ]);
    await dp.setEndpoint(ifindex, {
      endpointId: ifindex,
      ready: true,
      ingressIsolated: true,
      egressIsolated: false,
    });
    await dp.swapRules(ifindex, DIRECTION.INGRESS, []);
    await expect(lab.pod('a').agent.connect(lab.pod('b').ipv4, 80, 500)).resolves.toMatchObject({
      ok: false,
    });
    await dp.swapRules(ifindex, DIRECTION.INGRESS, [{ identity: 400, protocol: 'TCP', port: 80 }]);
    await expect(lab.pod('a').agent.connect(lab.pod('b').ipv4, 80)).resolves.toEqual({ ok: true });
  });

  test('watches for new veths and closes them', async () => {
    await dataplane!.watchLinks('-', ['hv-']);
    await lab.addPod({ name: 'c', ipv4: '10.76.0.4', ipv6: 'fd76::4', ports: [80] });
    const deadline = Date.now() + 5_000;
    while (!linkNotices.includes('attached hv-c') && Date.now() < deadline)
      await new Promise((resolve) => setImmediate(resolve));
    expect(linkNotices).toContain('attached hv-c');
    await expect(lab.pod('a').agent.connect(lab.pod('c').ipv4, 80, 500)).resolves.toMatchObject({
      ok: false,
      error: 'timeout',
    });
  });

  test('a closed veth put under a bridge is released: not a routed pod veth, so not blackholed', async () => {
    const node = lab.nodeNetns;
    await ip('-n', node, 'link', 'add', 'hv-br', 'type', 'veth', 'peer', 'name', 'xbr');
    await until(() => linkNotices.includes('attached hv-br'));
    expect(await filters(node, 'hv-br')).toContain('netpol_pod');
    await ip('-n', node, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', node, 'link', 'set', 'hv-br', 'master', 'br0');
    await until(() => linkNotices.includes('released hv-br'));
    expect(await filters(node, 'hv-br')).not.toContain('netpol_pod');
    // Its peer has no watched name: never closed.
    expect(linkNotices.filter((notice) => notice.endsWith(' xbr'))).toEqual([]);
  });

  test('entering another network namespace is what needs SYS_ADMIN: refused with EPERM', async () => {
    await expect(dataplane!.attach(lab.nodeNetns, lab.pod('a').hostIf)).rejects.toMatchObject({
      code: 'E_BPF_PERMISSION',
      errno: 'EPERM',
    });
  });
});
