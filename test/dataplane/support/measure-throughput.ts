/**
 * A first throughput measurement (issue 9; `npm run bench:dataplane` comes later): iperf3 between
 * two lab pods with no program, then with the programs and 10 and 1,000 rules on the server pod's
 * ingress. Run as root after `npm run build:bpf`:
 *   npx tsc --outDir /tmp/np-measure ... test/dataplane/support/measure-throughput.ts && node ...
 */
import { execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { DIRECTION, IDENTITY } from '../../../src/adapters/bpf/abi';
import { BpfDataplane, type PolicyRule } from '../../../src/adapters/bpf/bpf-dataplane';
import { LOADER_PATH, OBJECT_PATH, ensureDataplanePrerequisites } from './dataplane-prerequisites';
import { NodeNetwork } from '../../../src/devtools/lab/netns';

const run = promisify(execFile);
const PREFIX = `np-dp-${process.pid}-`;
const PIN_DIR = `/sys/fs/bpf/${PREFIX}maps`;

async function iperf(lab: NodeNetwork, seconds: number): Promise<number> {
  const server = spawn('ip', ['netns', 'exec', lab.pod('b').netns, 'iperf3', '-s'], { stdio: 'ignore' });
  try {
    for (;;) {
      const { stdout } = await run('ip', [
        'netns',
        'exec',
        lab.pod('b').netns,
        'ss',
        '-ltnH',
        'sport = :5201',
      ]);
      if (stdout.trim()) break;
    }
    const { stdout } = await run('ip', [
      'netns',
      'exec',
      lab.pod('a').netns,
      'iperf3',
      '-c',
      lab.pod('b').ipv4,
      '-t',
      String(seconds),
      '-J',
    ]);
    const result = JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } };
    return result.end.sum_received.bits_per_second / 1e9;
  } finally {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }
}

function rules(count: number): PolicyRule[] {
  const others = Array.from({ length: count - 1 }, (_, index): PolicyRule => ({
    identity: 1_000 + index,
    protocol: 'TCP',
    port: 1_000 + (index % 60_000),
  }));
  return [...others, { identity: 300, protocol: 'TCP', port: 5201 }];
}

async function main(): Promise<void> {
  ensureDataplanePrerequisites();
  const lab = new NodeNetwork(PREFIX, { ipv4: '10.77.255.1', ipv6: 'fd77::ff:1' });
  let dataplane: BpfDataplane | undefined;
  try {
    await lab.createNode();
    await lab.addPod({ name: 'a', ipv4: '10.77.0.2', ipv6: 'fd77::2', ports: [] });
    await lab.addPod({ name: 'b', ipv4: '10.77.0.3', ipv6: 'fd77::3', ports: [] });
    const seconds = Number(process.env.SECONDS_PER_RUN ?? 5);
    const results: Record<string, number[]> = { none: [], rules10: [], rules1000: [] };
    dataplane = await BpfDataplane.open({
      pinDir: PIN_DIR,
      objectPath: OBJECT_PATH,
      loaderPath: LOADER_PATH,
    });
    await dataplane.setIdentities([
      { cidr: '10.77.0.2', identity: 300 },
      { cidr: '10.77.0.3', identity: 301 },
      { cidr: '10.77.255.1', identity: IDENTITY.HOST },
    ]);
    for (let round = 0; round < 2; round++) {
      await dataplane.detach(lab.nodeNetns, 'hv-a');
      await dataplane.detach(lab.nodeNetns, 'hv-b');
      results.none!.push(await iperf(lab, seconds));
      for (const [name, count] of [
        ['rules10', 10],
        ['rules1000', 1_000],
      ] as const) {
        for (const [pod, endpointId] of [
          ['a', 1],
          ['b', 2],
        ] as const) {
          const ifindex = await dataplane.attach(lab.nodeNetns, `hv-${pod}`);
          await dataplane.setEndpoint(ifindex, {
            endpointId,
            ready: true,
            ingressIsolated: pod === 'b',
            egressIsolated: false,
          });
        }
        const entries = await dataplane.swapRules(2, DIRECTION.INGRESS, rules(count));
        process.stderr.write(`${name}: ${entries} inner-map entries\n`);
        results[name]!.push(await iperf(lab, seconds));
      }
    }
    console.log(JSON.stringify(results));
  } finally {
    await dataplane?.close();
    await lab.destroy();
    rmSync(PIN_DIR, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
