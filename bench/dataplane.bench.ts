/**
 * `npm run bench:dataplane [-- --quick]` (issue 9), as root: the cost of enforcement on the wire,
 * all in one run, between two pods of a lab node (src/devtools/lab/netns.ts, NodeNetwork: network
 * namespaces behind routed host veths). Our programs are driven directly through BpfDataplane (no
 * agent); the rules sit on the server pod's ingress.
 *
 * Setups: (a) no program; (b) our programs with 10, 1,000 and 10,000 rules; (c) the same rules as an
 * iptables chain in the node namespace, and as an ipset (hash:net,port) behind one iptables rule.
 * Each round measures every setup in turn (the order rotates each round) and the tables show
 * medians over rounds, with ratios against (a):
 *   - TCP throughput (iperf3, the first second omitted);
 *   - round trips on an established connection (sockperf ping-pong, 64 bytes, p50/p99);
 *   - new connections one after the other (connect to established, p50/p99, and the rate): where
 *     rule lookups happen, since established flows pass on conntrack.
 * Then the time from swapRules() to the new verdict on the wire, measured by a probe loop (a new
 * connection every millisecond from the client pod): the dataplane's part of policy-to-wire only.
 *
 * Everything it makes (namespaces, the pin directory, processes; the firewall exists only inside
 * the lab's node namespace) is removed at the end, on failure and on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { DIRECTION, IDENTITY } from '../src/adapters/bpf/abi';
import { BpfDataplane, type PolicyRule } from '../src/adapters/bpf/bpf-dataplane';
import { sweepLeftovers } from '../test/dataplane/support/dataplane-prerequisites';
import { NodeNetwork } from '../src/devtools/lab/netns';
import { type ConnectResult, WireProbe, measureConnects } from './dataplane-clients';
import {
  applyIpset,
  applyIptables,
  asPolicyRules,
  benchRules,
  clearFirewall,
  type BenchRule,
  type RulePeer,
} from './dataplane-rules';
import {
  IPERF_PORT,
  SOCKPERF_PORT,
  ensureBenchPrerequisites,
  findRepoRoot,
  iperfGbps,
  sockperfRoundTrips,
  startIperfServer,
  startSockperfServer,
  type NetnsServer,
  type RoundTrips,
} from './dataplane-tools';
import { summariseMs } from './latency';
import { median, textTable } from './stats';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 2 : 5;
const IPERF_SECONDS = QUICK ? 2 : 3;
const SOCKPERF_SECONDS = QUICK ? 1 : 2;
const CONNECT_SECONDS = QUICK ? 1 : 2;
const RULE_COUNTS = [10, 1_000, 10_000] as const;
const TOGGLES = QUICK ? 10 : 40;
const PROBE_INTERVAL_MS = 1;
const PROBE_TIMEOUT_MS = 200;
/** How long after swapRules() returns a toggle watches before it is judged. */
const WINDOW_AFTER_MS = 100;
const TARGET_COST = 0.05;

const PREFIX = `np-dp-${process.pid}-`;
const PIN_DIR = `/sys/fs/bpf/${PREFIX}maps`;
const CLIENT = { ipv4: '10.77.0.2', ipv6: 'fd77::2', identity: 300 };
const SERVER = { ipv4: '10.77.0.3', ipv6: 'fd77::3', identity: 301, endpointId: 2 };
const CONNECT_PORT = 7000;
const PROBE_PORT = 7001;
/** A port no rule allows: each setup with rules must drop a connection to it. */
const CLOSED_PORT = 7002;
const TEST_PORTS = [IPERF_PORT, SOCKPERF_PORT, CONNECT_PORT];
const CLIENT_PEER: RulePeer = { identity: CLIENT.identity, address: CLIENT.ipv4 };

type Setup =
  | { readonly kind: 'none'; readonly label: string }
  | { readonly kind: 'bpf' | 'iptables' | 'ipset'; readonly label: string; readonly rules: number };

const SETUPS: readonly Setup[] = [
  { kind: 'none', label: '(a) no program' },
  ...RULE_COUNTS.map((rules): Setup => ({ kind: 'bpf', label: `(b) eBPF, ${rules} rules`, rules })),
  ...RULE_COUNTS.map((rules): Setup => ({ kind: 'iptables', label: `(c) iptables, ${rules} rules`, rules })),
  ...RULE_COUNTS.map((rules): Setup => ({ kind: 'ipset', label: `(c) ipset, ${rules} entries`, rules })),
];

interface RoundResult {
  gbps: number;
  roundTrips: RoundTrips;
  connects: ConnectResult;
}

/** Things to undo, last first; run once by finish(), also on a signal. */
class Cleanup {
  private readonly steps: { name: string; undo: () => Promise<void> | void }[] = [];
  private running: Promise<void> | null = null;

  add(name: string, undo: () => Promise<void> | void): void {
    this.steps.push({ name, undo });
  }

  finish(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.splice(0).reverse()) {
        try {
          await step.undo();
        } catch (err) {
          console.error(`clean-up of ${step.name} failed:`, err);
        }
      }
    })();
    return this.running;
  }
}

class BenchLab {
  private attached = false;
  private readonly rulesByCount = new Map<number, BenchRule[]>();

  constructor(
    readonly lab: NodeNetwork,
    readonly dataplane: BpfDataplane,
  ) {
    for (const count of RULE_COUNTS) this.rulesByCount.set(count, benchRules(count, CLIENT_PEER, TEST_PORTS));
  }

  get node(): string {
    return this.lab.nodeNetns;
  }
  get client(): string {
    return this.lab.pod('a').netns;
  }
  get serverIf(): string {
    return this.lab.pod('b').hostIf;
  }

  async attachPrograms(): Promise<void> {
    if (this.attached) return;
    for (const [pod, endpointId, ingressIsolated] of [
      ['a', 1, false],
      ['b', SERVER.endpointId, true],
    ] as const) {
      const ifindex = await this.dataplane.attach(this.node, this.lab.pod(pod).hostIf);
      await this.dataplane.setEndpoint(ifindex, {
        endpointId,
        ready: true,
        ingressIsolated,
        egressIsolated: false,
      });
    }
    this.attached = true;
  }

  async detachPrograms(): Promise<void> {
    if (!this.attached) return;
    await this.dataplane.detach(this.node, this.lab.pod('a').hostIf);
    await this.dataplane.detach(this.node, this.lab.pod('b').hostIf);
    this.attached = false;
  }

  async apply(setup: Setup): Promise<void> {
    if (setup.kind !== 'bpf') await this.detachPrograms();
    if (setup.kind === 'none') return clearFirewall(this.node);
    const rules = this.rulesByCount.get(setup.rules)!;
    if (setup.kind === 'bpf') {
      await clearFirewall(this.node);
      await this.attachPrograms();
      await this.dataplane.swapRules(SERVER.endpointId, DIRECTION.INGRESS, asPolicyRules(rules));
    } else if (setup.kind === 'iptables') {
      await applyIptables(this.node, this.serverIf, rules);
    } else {
      await applyIpset(this.node, this.serverIf, rules);
    }
    // The rules enforce: a port none of them allows is closed, the test ports open.
    const closed = await this.lab.pod('a').agent.connect(SERVER.ipv4, CLOSED_PORT, 300);
    const open = await this.lab.pod('a').agent.connect(SERVER.ipv4, CONNECT_PORT, 1_000);
    if (closed.ok || !open.ok) {
      throw new Error(
        `${setup.label}: port ${CLOSED_PORT} ${closed.ok ? 'open' : 'closed'}, ${CONNECT_PORT} ${open.ok ? 'open' : 'closed'}`,
      );
    }
  }

  async measure(): Promise<RoundResult> {
    const gbps = await iperfGbps(this.client, SERVER.ipv4, IPERF_SECONDS);
    const roundTrips = await sockperfRoundTrips(this.client, SERVER.ipv4, SOCKPERF_SECONDS);
    const connects = await measureConnects({
      netns: this.client,
      host: SERVER.ipv4,
      port: CONNECT_PORT,
      seconds: CONNECT_SECONDS,
    });
    return { gbps, roundTrips, connects };
  }
}

async function buildLab(cleanup: Cleanup, paths: { objectPath: string; loaderPath: string }) {
  const lab = new NodeNetwork(PREFIX, { ipv4: '10.77.255.1', ipv6: 'fd77::ff:1' });
  cleanup.add('namespaces', () => lab.destroy());
  await lab.createNode();
  await lab.addPod({ name: 'a', ipv4: CLIENT.ipv4, ipv6: CLIENT.ipv6, ports: [] });
  await lab.addPod({
    name: 'b',
    ipv4: SERVER.ipv4,
    ipv6: SERVER.ipv6,
    ports: [CONNECT_PORT, PROBE_PORT, CLOSED_PORT],
  });
  // The client opens tens of thousands of connections: every ephemeral port, in its namespace only.
  execFileSync('ip', [
    'netns',
    'exec',
    lab.pod('a').netns,
    'sysctl',
    '-qw',
    'net.ipv4.ip_local_port_range=1024 65535',
  ]);
  cleanup.add('pin directory', () => rmSync(PIN_DIR, { recursive: true, force: true }));
  const dataplane = await BpfDataplane.open({ pinDir: PIN_DIR, ...paths });
  cleanup.add('loader', () => dataplane.close());
  await dataplane.setIdentities([
    { cidr: CLIENT.ipv4, identity: CLIENT.identity },
    { cidr: SERVER.ipv4, identity: SERVER.identity },
    { cidr: '10.77.255.1', identity: IDENTITY.HOST },
  ]);
  const servers: NetnsServer[] = [
    await startIperfServer(lab.pod('b').netns, SERVER.ipv4),
    await startSockperfServer(lab.pod('b').netns, SERVER.ipv4),
  ];
  cleanup.add('servers', () => Promise.all(servers.map((server) => server.stop())).then(() => undefined));
  return new BenchLab(lab, dataplane);
}

interface WireSample {
  swapMs: number;
  fromReturnMs: number;
  fromCallMs: number;
}

/** Toggles the probe port's rule under a running probe loop; one sample per toggle. */
async function measureRuleToWire(bench: BenchLab, cleanup: Cleanup) {
  await bench.apply({ kind: 'none', label: '' });
  await bench.attachPrograms();
  const probe = WireProbe.start({
    netns: bench.client,
    host: SERVER.ipv4,
    port: PROBE_PORT,
    intervalMs: PROBE_INTERVAL_MS,
    timeoutMs: PROBE_TIMEOUT_MS,
  });
  cleanup.add('probe', () => probe.stop());
  const results: { rules: number; samples: WireSample[]; misses: number; strays: number }[] = [];
  try {
    for (const count of RULE_COUNTS) {
      const withProbe = asPolicyRules(benchRules(count, CLIENT_PEER, [...TEST_PORTS, PROBE_PORT]));
      const withoutProbe = asPolicyRules(benchRules(count, CLIENT_PEER, TEST_PORTS));
      const swap = (rules: PolicyRule[]) =>
        bench.dataplane.swapRules(SERVER.endpointId, DIRECTION.INGRESS, rules);
      await swap(withoutProbe);
      await probe.settled(process.hrtime.bigint(), 10_000);
      probe.take();
      const samples: WireSample[] = [];
      let misses = 0;
      let strays = 0;
      for (let toggle = 0; toggle < TOGGLES; toggle++) {
        const allow = toggle % 2 === 0;
        const callNs = process.hrtime.bigint();
        await swap(allow ? withProbe : withoutProbe);
        const returnNs = process.hrtime.bigint();
        await probe.settled(returnNs + BigInt(WINDOW_AFTER_MS) * 1_000_000n, 10_000);
        const attempts = probe.take();
        const windowEnd = returnNs + BigInt(WINDOW_AFTER_MS) * 1_000_000n;
        let lastOld = -1;
        attempts.forEach((attempt, index) => {
          if (attempt.ok !== allow && attempt.sentNs <= windowEnd) lastOld = index;
        });
        const first = attempts.slice(lastOld + 1).find((attempt) => attempt.ok === allow);
        strays += attempts.filter((attempt) => attempt.ok !== allow && attempt.sentNs > windowEnd).length;
        if (!first || first.sentNs > windowEnd) {
          misses++;
          continue;
        }
        samples.push({
          swapMs: Number(returnNs - callNs) / 1e6,
          fromReturnMs: Number(first.sentNs - returnNs) / 1e6,
          fromCallMs: Number(first.sentNs - callNs) / 1e6,
        });
      }
      results.push({ rules: count, samples, misses, strays });
    }
  } finally {
    await probe.stop();
  }
  return results;
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
const ratio = (value: number, base: number) => `${(value / base).toFixed(3)}x`;

function report(results: Map<Setup, RoundResult[]>, wire: Awaited<ReturnType<typeof measureRuleToWire>>) {
  const med = (setup: Setup, pick: (round: RoundResult) => number) => median(results.get(setup)!.map(pick));
  // Best of rounds (highest throughput, lowest latency): the least disturbed round, a steadier
  // comparison than the median when other work shares the CPUs.
  const best = (setup: Setup, pick: (round: RoundResult) => number, way: 'min' | 'max') =>
    Math[way](...results.get(setup)!.map(pick));
  const base = SETUPS[0]!;
  const gbps = (round: RoundResult) => round.gbps;
  const rrP50 = (round: RoundResult) => round.roundTrips.p50Us;
  const rrP99 = (round: RoundResult) => round.roundTrips.p99Us;
  const cRate = (round: RoundResult) => round.connects.perSecond;
  const cP50 = (round: RoundResult) => round.connects.p50Us;
  const cP99 = (round: RoundResult) => round.connects.p99Us;

  console.log(
    `\nTCP throughput (iperf3, ${IPERF_SECONDS} s a run after 1 s omitted; medians of ${ROUNDS} rounds)`,
  );
  console.log(
    textTable(
      ['setup', 'Gbit/s', 'min', 'max', 'vs (a)', 'best vs (a) best', ''],
      SETUPS.map((setup) => {
        const all = results.get(setup)!.map(gbps);
        return [
          setup.label,
          fixed(med(setup, gbps), 2),
          fixed(Math.min(...all), 2),
          fixed(Math.max(...all), 2),
          ratio(med(setup, gbps), med(base, gbps)),
          ratio(best(setup, gbps, 'max'), best(base, gbps, 'max')),
          '',
        ];
      }),
    ),
  );
  console.log(
    `\nRound trips on one established TCP connection (sockperf ping-pong, 64 B, ${SOCKPERF_SECONDS} s; medians of ${ROUNDS} rounds' percentiles)`,
  );
  console.log(
    textTable(
      ['setup', 'p50 us', 'p99 us', 'p50 vs (a)', 'p99 vs (a)', 'best p50 us', 'vs (a) best', ''],
      SETUPS.map((setup) => [
        setup.label,
        fixed(med(setup, rrP50), 2),
        fixed(med(setup, rrP99), 2),
        ratio(med(setup, rrP50), med(base, rrP50)),
        ratio(med(setup, rrP99), med(base, rrP99)),
        fixed(best(setup, rrP50, 'min'), 2),
        ratio(best(setup, rrP50, 'min'), best(base, rrP50, 'min')),
        '',
      ]),
    ),
  );
  console.log(
    `\nNew TCP connections, one after the other (node client: connect() to established, then RST; ${CONNECT_SECONDS} s; medians of ${ROUNDS} rounds)`,
  );
  console.log(
    textTable(
      [
        'setup',
        'conn/s',
        'p50 us',
        'p99 us',
        'rate vs (a)',
        'p50 vs (a)',
        'p99 vs (a)',
        'best p50 us',
        'vs (a) best',
        '',
      ],
      SETUPS.map((setup) => [
        setup.label,
        fixed(med(setup, cRate), 0),
        fixed(med(setup, cP50), 1),
        fixed(med(setup, cP99), 1),
        ratio(med(setup, cRate), med(base, cRate)),
        ratio(med(setup, cP50), med(base, cP50)),
        ratio(med(setup, cP99), med(base, cP99)),
        fixed(best(setup, cP50, 'min'), 1),
        ratio(best(setup, cP50, 'min'), best(base, cP50, 'min')),
        '',
      ]),
    ),
  );

  console.log(
    `\nRule change to the wire (our programs): swapRules() on the server pod's ingress toggling the probe port's rule, ` +
      `a probe loop opening a new connection every ${PROBE_INTERVAL_MS} ms (resolution ~${PROBE_INTERVAL_MS} ms). ` +
      `"return -> wire" is the send time of the first probe with the new verdict minus swapRules()'s return ` +
      `(negative: the swap was live before the reply came back: the kernel waits an RCU grace ` +
      `period after a map-in-map update before the syscall returns, so "call -> wire" is the ` +
      `dataplane's latency: encoding, the loader, building the new inner map, the swap). This is the dataplane's part of ` +
      `policy-to-wire only; the agent's share (API event -> rules computed) is measured elsewhere.`,
  );
  console.log(
    textTable(
      [
        'rules',
        'n',
        'swapRules() p50 ms',
        'p99 ms',
        'return->wire p50 ms',
        'p99 ms',
        'call->wire p50 ms',
        'p99 ms',
        'missed',
      ],
      wire.map(({ rules, samples, misses, strays }) => {
        if (samples.length === 0) return [String(rules), '0', '-', '-', '-', '-', '-', '-', String(misses)];
        const swap = summariseMs(samples.map((s) => s.swapMs));
        const fromReturn = summariseMs(samples.map((s) => s.fromReturnMs));
        const fromCall = summariseMs(samples.map((s) => s.fromCallMs));
        return [
          String(rules),
          String(samples.length),
          fixed(swap.medianMs, 2),
          fixed(swap.p99Ms, 2),
          fixed(fromReturn.medianMs, 2),
          fixed(fromReturn.p99Ms, 2),
          fixed(fromCall.medianMs, 2),
          fixed(fromCall.p99Ms, 2),
          `${misses}${strays ? ` (${strays} stray probes)` : ''}`,
        ];
      }),
    ),
  );

  const top = SETUPS.find((setup) => setup.kind === 'bpf' && setup.rules === 10_000)!;
  const checks: [string, number][] = [
    ['throughput cost', 1 - med(top, gbps) / med(base, gbps)],
    ['round-trip p50 cost', med(top, rrP50) / med(base, rrP50) - 1],
    ['round-trip p99 cost', med(top, rrP99) / med(base, rrP99) - 1],
    ['new-connection p50 cost', med(top, cP50) / med(base, cP50) - 1],
    ['new-connection rate cost', 1 - med(top, cRate) / med(base, cRate)],
    ['throughput cost (best)', 1 - best(top, gbps, 'max') / best(base, gbps, 'max')],
    ['round-trip p50 cost (best)', best(top, rrP50, 'min') / best(base, rrP50, 'min') - 1],
    ['new-conn. p50 cost (best)', best(top, cP50, 'min') / best(base, cP50, 'min') - 1],
  ];
  console.log(
    `\nTargets (issue 9): at most ${TARGET_COST * 100}% cost against (a) at 10,000 rules (our programs)`,
  );
  for (const [name, cost] of checks) {
    console.log(
      `  ${name.padEnd(26)} ${(cost * 100).toFixed(1).padStart(6)}%  ${cost <= TARGET_COST ? 'met' : 'NOT met'}`,
    );
  }
  console.log(
    JSON.stringify({
      rounds: ROUNDS,
      setups: SETUPS.map((setup) => ({ setup: setup.label, rounds: results.get(setup) })),
      ruleToWire: wire,
    }),
  );
}

async function main(): Promise<void> {
  const paths = ensureBenchPrerequisites(findRepoRoot());
  sweepLeftovers();
  const cleanup = new Cleanup();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void cleanup.finish().finally(() => process.exit(130));
    });
  }
  try {
    console.log(
      `netpol dataplane bench: kernel ${release()}, ${cpus().length} CPUs, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, ` + `${ROUNDS} rounds${QUICK ? ' (--quick)' : ''}; lab ${PREFIX}*`,
    );
    const bench = await buildLab(cleanup, paths);
    const results = new Map<Setup, RoundResult[]>(SETUPS.map((setup) => [setup, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = SETUPS.map((_, index) => SETUPS[(index + round) % SETUPS.length]!);
      for (const setup of order) {
        await bench.apply(setup);
        const result = await bench.measure();
        results.get(setup)!.push(result);
        process.stderr.write(
          `round ${round + 1}/${ROUNDS} ${setup.label}: ${result.gbps.toFixed(2)} Gbit/s, rr p50 ${result.roundTrips.p50Us} us, ` +
            `${result.connects.perSecond.toFixed(0)} conn/s p50 ${result.connects.p50Us.toFixed(1)} us\n`,
        );
      }
    }
    const wire = await measureRuleToWire(bench, cleanup);
    report(results, wire);
  } finally {
    await cleanup.finish();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
