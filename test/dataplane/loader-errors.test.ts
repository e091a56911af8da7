/**
 * What the agent's operator reads when the loader helper refuses: a catalogue code
 * (src/core/error-catalogue.ts, README's Errors table) and a message that names the command, what
 * it was about and what is wrong, with the kernel's errno. Each case is provoked for real: a
 * program the verifier refuses (compiled here with clang), an object that is not there, a
 * namespace and a link that do not exist, a malformed map entry, a helper binary that is not
 * there. Root only; everything has the prefix np-dp-<pid>-err- and is removed in afterAll.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfDataplane } from '../../src/adapters/bpf/bpf-dataplane';
import { BpfLoaderError } from '../../src/adapters/bpf/bpf-loader-error';
import { LoaderProcess } from '../../src/adapters/bpf/loader-process';
import { ERROR_CATALOGUE } from '../../src/core/error-catalogue';
import {
  LOADER_PATH,
  OBJECT_PATH,
  ensureDataplanePrerequisites,
  sweepLeftovers,
} from './support/dataplane-prerequisites';
import { NodeNetwork } from '../../src/devtools/lab/netns';

const PREFIX = `np-dp-${process.pid}-err-`;
const PIN_DIR = `/sys/fs/bpf/${PREFIX}maps`;

/** A tc program that reads the packet without a bounds check, beside the policy map-in-map the helper needs. */
const REFUSED_PROGRAM = String.raw`
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
struct inner_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct inner_map);
} policy SEC(".maps");
SEC("tc")
int netpol_pod_ingress(struct __sk_buff *skb)
{
	unsigned char *data = (void *)(long)skb->data;
	return data[20] ? TC_ACT_SHOT : TC_ACT_OK;
}
char LICENSE[] SEC("license") = "GPL";
`;

let dir: string;
let lab: NodeNetwork;
let dataplane: BpfDataplane | undefined;

async function refusal(promise: Promise<unknown>): Promise<BpfLoaderError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BpfLoaderError) return err;
    throw err;
  }
  throw new Error('expected the loader helper to refuse');
}

beforeAll(async () => {
  ensureDataplanePrerequisites();
  sweepLeftovers();
  dir = mkdtempSync(join(tmpdir(), PREFIX));
  try {
    lab = new NodeNetwork(PREFIX, { ipv4: '10.75.255.1', ipv6: 'fd75::ff:1' });
    await lab.createNode();
    dataplane = await BpfDataplane.open({
      pinDir: PIN_DIR,
      objectPath: OBJECT_PATH,
      loaderPath: LOADER_PATH,
    });
  } catch (err) {
    await teardown();
    throw err;
  }
}, 60_000);

async function teardown(): Promise<void> {
  await dataplane?.close();
  await lab?.destroy();
  for (const suffix of ['', '-refused', '-missing', '-noloader'])
    rmSync(`${PIN_DIR}${suffix}`, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

afterAll(teardown, 30_000);

describe('the loader helper refuses with a catalogue code and a message naming what is wrong', () => {
  test('a program the kernel refuses: E_BPF_VERIFIER with the verifier last lines', async () => {
    const source = join(dir, 'refused.bpf.c');
    const object = join(dir, 'refused.bpf.o');
    writeFileSync(source, REFUSED_PROGRAM);
    execFileSync('clang', [
      '-O2',
      '-g',
      '-target',
      'bpf',
      `-I/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
      '-c',
      source,
      '-o',
      object,
    ]);
    // Straight to the helper: BpfDataplane.open would first fail to set netpol_config in it.
    const loader = LoaderProcess.start({ binaryPath: LOADER_PATH });
    const err = await refusal(loader.request('open', [object, `${PIN_DIR}-refused`])).finally(() =>
      loader.close(),
    );
    expect(err.code).toBe('E_BPF_VERIFIER');
    expect(err.message).toContain(`netpol-loader open ${object}`);
    // The verifier says which access it refused.
    expect(err.message).toMatch(
      /verifier refused a program: .*(invalid access to packet|outside of the packet)/,
    );
    expect(ERROR_CATALOGUE[err.code].raisedBy).toContain('BpfLoaderError');
  });

  test('an object that is not there: E_BPF_OBJECT naming the path', async () => {
    const missing = join(dir, 'missing.bpf.o');
    const err = await refusal(
      BpfDataplane.open({ pinDir: `${PIN_DIR}-missing`, objectPath: missing, loaderPath: LOADER_PATH }),
    );
    expect(err).toMatchObject({ code: 'E_BPF_OBJECT', errno: 'ENOENT' });
    expect(err.message).toBe(
      `netpol-loader open ${missing} ${PIN_DIR}-missing: cannot open the object file (ENOENT)`,
    );
  });

  test('a namespace that does not exist: E_BPF_NETNS; a link that does not exist: E_BPF_NO_LINK', async () => {
    const netnsErr = await refusal(dataplane!.attach(`${PREFIX}nowhere`, 'hv-x'));
    expect(netnsErr).toMatchObject({ code: 'E_BPF_NETNS', errno: 'ENOENT' });
    expect(netnsErr.message).toBe(
      `netpol-loader attach ${PREFIX}nowhere hv-x: cannot enter the network namespace (ENOENT)`,
    );
    const linkErr = await refusal(dataplane!.attach(lab.nodeNetns, 'hv-none'));
    expect(linkErr).toMatchObject({ code: 'E_BPF_NO_LINK', errno: 'ENODEV' });
    expect(linkErr.message).toContain(`attach ${lab.nodeNetns} hv-none: no such link in that namespace`);
  });

  test('a malformed map entry: E_BPF_MAP', async () => {
    const loader = LoaderProcess.start({ binaryPath: LOADER_PATH });
    try {
      await loader.request('open', [OBJECT_PATH, PIN_DIR]);
      const err = await refusal(loader.request('update', ['ipcache', 'zz:zz']));
      expect(err).toMatchObject({ code: 'E_BPF_MAP', errno: 'EINVAL' });
    } finally {
      await loader.close();
    }
  });

  test('a helper binary that is not there: E_BPF_LOADER_EXITED naming it', async () => {
    const missing = join(dir, 'no-such-loader');
    const err = await refusal(BpfDataplane.open({ pinDir: `${PIN_DIR}-noloader`, loaderPath: missing }));
    expect(err.code).toBe('E_BPF_LOADER_EXITED');
    expect(err.message).toContain(missing);
  });
});
