/**
 * The agent finds a pod's host veth by the node's route to the pod, in a real node namespace: a
 * routed veth is found; a pod behind a bridge (the bridge CNI's layout, where the route names the
 * bridge every pod shares) is not, so the agent never enforces on a shared link. Root only;
 * everything has the prefix np-dp-<pid>-hv- and is removed in afterAll.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { hostVethFinder } from '../../src/agent/host-veth';
import { NodeNetwork } from '../../src/devtools/lab/netns';
import { ensureDataplanePrerequisites, sweepLeftovers } from './support/dataplane-prerequisites';
import { leftovers } from './support/leftovers';

const run = promisify(execFile);
const PREFIX = `np-dp-${process.pid}-hv-`;
let lab: NodeNetwork;

beforeAll(async () => {
  ensureDataplanePrerequisites();
  sweepLeftovers();
  lab = new NodeNetwork(PREFIX, { ipv4: '10.74.255.1', ipv6: 'fd74::ff:1' });
  try {
    await lab.createNode();
    await lab.addPod({ name: 'a', ipv4: '10.74.0.2', ipv6: 'fd74::2', ports: [80] });
    // A pod behind a bridge: its veth enslaved to br0, the node's route to it through br0.
    const node = lab.nodeNetns;
    for (const args of [
      ['link', 'add', 'br0', 'type', 'bridge'],
      ['link', 'add', 'vethb', 'type', 'veth', 'peer', 'name', 'xb'],
      ['link', 'set', 'vethb', 'master', 'br0'],
      ['link', 'set', 'br0', 'up'],
      ['route', 'add', '10.74.1.2/32', 'dev', 'br0'],
    ])
      await run('ip', ['-n', node, ...args]);
  } catch (err) {
    await lab.destroy();
    throw err;
  }
}, 60_000);

afterAll(async () => {
  await lab?.destroy();
}, 30_000);

describe("finding a pod's host veth by the node's route", () => {
  test('a routed veth is found over IPv4 and IPv6, with its ifindex', async () => {
    const find = hostVethFinder(lab.nodeNetns);
    const v4 = await find('10.74.0.2');
    expect(v4).toMatchObject({ ifname: 'hv-a' });
    expect(v4!.ifindex).toBeGreaterThan(0);
    await expect(find('fd74::2')).resolves.toEqual(v4);
  });

  test('a pod behind a bridge, an address with no route and the node itself are not found', async () => {
    const find = hostVethFinder(lab.nodeNetns);
    await expect(find('10.74.1.2')).resolves.toBeNull();
    await expect(find('10.74.9.9')).resolves.toBeNull();
    await expect(find('10.74.255.1')).resolves.toBeNull();
  });

  test('clean-up leaves no namespace or process behind', async () => {
    const pids = lab.pids();
    await lab.destroy();
    await expect(leftovers({ netnsPrefix: PREFIX, pinDirs: [], pids })).resolves.toEqual([]);
  });
});
