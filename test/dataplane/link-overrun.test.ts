/**
 * The loader helper's link watch when the kernel drops notifications (issue 9): its netlink socket
 * overruns (ENOBUFS) on a burst of new veths larger than its receive buffer, and the veths whose
 * notifications were lost must still be closed. The helper then lists the namespace's links and
 * closes each watched veth it missed. Forced here: the helper runs with a receive buffer shrunk to
 * the kernel's minimum (NETPOL_LOADER_LINK_RCVBUF, read by the helper for tests only) and is
 * stopped (SIGSTOP) while 60 veths and two pods appear, so hundreds of notifications meet a buffer
 * that holds a few. Root only; everything has the prefix np-dp-<pid>-ovr- and is removed in afterAll.
 */
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IDENTITY } from '../../src/adapters/bpf/abi';
import { BpfDataplane } from '../../src/adapters/bpf/bpf-dataplane';
import { NodeNetwork } from '../../src/devtools/lab/netns';
import {
  LOADER_PATH,
  OBJECT_PATH,
  ensureDataplanePrerequisites,
  sweepLeftovers,
} from './support/dataplane-prerequisites';
import { leftovers } from './support/leftovers';

const run = promisify(execFile);
const PREFIX = `np-dp-${process.pid}-ovr-`;
const PIN_DIR = `/sys/fs/bpf/${PREFIX}maps`;
const WRAPPER = join(tmpdir(), `${PREFIX}loader.sh`);
const PID_FILE = join(tmpdir(), `${PREFIX}loader.pid`);
const NODE = { ipv4: '10.72.255.1', ipv6: 'fd72::ff:1' };
const BURST = 60;

let lab: NodeNetwork;
let dataplane: BpfDataplane | undefined;
let loaderPid: number | undefined;
let stopped = false;
const notices: string[] = [];

async function until(what: string, condition: () => boolean, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; link notices: ${notices.join(', ')}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Both programs on a link of the node namespace? */
async function closed(ifname: string): Promise<boolean> {
  const hooks = await Promise.all(
    ['ingress', 'egress'].map(
      async (hook) => (await run('tc', ['-n', lab.nodeNetns, 'filter', 'show', 'dev', ifname, hook])).stdout,
    ),
  );
  // Program names as the kernel keeps them (16 characters).
  return hooks[0]!.includes('netpol_pod_egre') && hooks[1]!.includes('netpol_pod_ingr');
}

async function ifindexOf(ifname: string): Promise<number> {
  const { stdout } = await run('ip', ['-n', lab.nodeNetns, '-j', 'link', 'show', 'dev', ifname]);
  return (JSON.parse(stdout) as { ifindex: number }[])[0]!.ifindex;
}

async function teardown(): Promise<void> {
  if (stopped && loaderPid !== undefined) process.kill(loaderPid, 'SIGCONT');
  await dataplane?.close();
  await lab?.destroy();
  rmSync(PIN_DIR, { recursive: true, force: true });
  rmSync(WRAPPER, { force: true });
  rmSync(PID_FILE, { force: true });
}

beforeAll(async () => {
  ensureDataplanePrerequisites();
  sweepLeftovers();
  try {
    lab = new NodeNetwork(PREFIX, NODE);
    await lab.createNode();
    await lab.addPod({ name: 'a', ipv4: '10.72.0.2', ipv6: 'fd72::2', ports: [80] });
    // The helper with the smallest receive buffer the kernel allows, its pid written down so the
    // test can stop it (exec: the pid is the helper's own).
    writeFileSync(
      WRAPPER,
      `#!/bin/sh\necho $$ > ${PID_FILE}\nNETPOL_LOADER_LINK_RCVBUF=1 exec ${LOADER_PATH}\n`,
    );
    chmodSync(WRAPPER, 0o755);
    dataplane = await BpfDataplane.open({
      pinDir: PIN_DIR,
      objectPath: OBJECT_PATH,
      loaderPath: WRAPPER,
      onLink: (notice) =>
        notices.push(notice.kind === 'overrun' ? 'overrun' : `${notice.kind} ${notice.ifname}`),
      onLog: (line) => process.stderr.write(`netpol-loader: ${line}\n`),
    });
    loaderPid = Number(readFileSync(PID_FILE, 'utf8'));
    await dataplane.setIdentities([{ cidr: `${NODE.ipv4}/32`, identity: IDENTITY.HOST }]);
  } catch (err) {
    await teardown();
    throw err;
  }
}, 60_000);

afterAll(teardown, 30_000);

describe('link notifications overrun', () => {
  test('every veth of a burst larger than the socket buffer is closed: the helper lists the links it missed', async () => {
    await dataplane!.watchLinks(lab.nodeNetns, ['hv-', 'ov-']);
    // The pod that exists already is not touched by the watch (no notification, and the re-listing
    // only closes what no endpoint claims: give it one, as the agent would have).
    await dataplane!.setEndpoint(await ifindexOf(lab.pod('a').hostIf), {
      endpointId: 1,
      ready: true,
      ingressIsolated: false,
      egressIsolated: false,
    });
    process.kill(loaderPid!, 'SIGSTOP');
    stopped = true;
    const batch = Array.from({ length: BURST }, (_, i) => `link add ov-${i} type veth peer name op-${i}`);
    await new Promise<void>((resolve, reject) => {
      const child = execFile('ip', ['-n', lab.nodeNetns, '-batch', '-'], (err) =>
        err ? reject(err) : resolve(),
      );
      child.stdin!.end(batch.join('\n') + '\n');
    });
    await lab.addPod({ name: 'd', ipv4: '10.72.0.4', ipv6: 'fd72::4', ports: [80] });
    await lab.addPod({ name: 'e', ipv4: '10.72.0.5', ipv6: 'fd72::5', ports: [80] });
    process.kill(loaderPid!, 'SIGCONT');
    stopped = false;

    const names = [...Array.from({ length: BURST }, (_, i) => `ov-${i}`), 'hv-d', 'hv-e'];
    await until('the overrun notice', () => notices.includes('overrun'));
    await until('every new veth attached', () => names.every((name) => notices.includes(`attached ${name}`)));
    const open = [];
    for (const name of names) if (!(await closed(name))) open.push(name);
    expect(open).toEqual([]);
    // Claimed links are left alone: the existing pod was neither re-attached nor reported.
    expect(notices).not.toContain(`attached ${lab.pod('a').hostIf}`);
    expect(notices.filter((notice) => notice.startsWith('failed'))).toEqual([]);
  });

  test("the burst's new pods drop until they are ready, then open", async () => {
    const a = lab.pod('a').agent;
    await expect(a.connect(lab.pod('d').ipv4, 80, 500)).resolves.toMatchObject({
      ok: false,
      error: 'timeout',
    });
    await expect(a.connect(lab.pod('e').ipv6, 80, 500)).resolves.toMatchObject({
      ok: false,
      error: 'timeout',
    });
    await dataplane!.setEndpoint(await ifindexOf(lab.pod('d').hostIf), {
      endpointId: 4,
      ready: true,
      ingressIsolated: false,
      egressIsolated: false,
    });
    await expect(a.connect(lab.pod('d').ipv4, 80)).resolves.toEqual({ ok: true });
  });

  test('clean-up leaves no namespace, pinned map or process behind', async () => {
    const pids = [...lab.pids(), loaderPid!];
    await teardown();
    await expect(leftovers({ netnsPrefix: PREFIX, pinDirs: [PIN_DIR], pids })).resolves.toEqual([]);
  });
});
