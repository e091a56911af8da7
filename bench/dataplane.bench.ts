/**
 * `npm run bench:dataplane [-- --quick] [-- --pin-cpus] [-- --no-agent | --agent-only | --cost-only]` (issue 9),
 * as root: the cost of enforcement on the wire, all in one run, between two pods of a lab node
 * (test/dataplane/support/netns-lab.ts: network namespaces behind routed host veths). Our programs
 * are driven directly through BpfDataplane (no agent); the rules sit on the server pod's ingress,
 * both pods' host veths carry the programs (4 program runs per round trip, as for two pods of one
 * node; two of them pass on the same-node single pass's mark, bpf/netpol.bpf.c). --cost-only
 * prints only the ns per program run; --no-rt runs the latency clients at normal priority.
 * --ab-connect runs only the A/B new-connection comparison (dataplane-ab.ts): three client/server
 * pairs at once, (a), (a') and (b) 10,000 rules, connects interleaved in small batches so a change
 * of the machine's state lands on all three alike; --ab-shift=0|1|2 moves the setups over the pairs.
 *
 * Setups: (a) no program; (a') an empty tc program attached the same way (bpf/bench-noop.bpf.c:
 * the hook's own cost); (b) our programs with 10, 1,000 and 10,000 rules; (c) the same rules as an
 * iptables chain in the node namespace, and as an ipset (hash:net,port) behind one iptables rule.
 * Each round measures every setup once (the order rotates each round, so none always runs first
 * or right after another), and every ratio is taken against (a) OF THE SAME ROUND, then the median
 * over rounds: load from other work on the machine moves a round's (a) and (b) together. Then the
 * target comparison: (a), (a') and (b) at 10,000 rules alone, for more rounds, with the 95%
 * interval of each median ratio and the spread over rounds (dataplane-verdict.ts); the targets are
 * judged on it.
 *   - TCP throughput (iperf3, the first second omitted);
 *   - round trips on an established connection (sockperf ping-pong, 64 bytes, p50/p99);
 *   - new connections one after the other (connect to established, p50/p99, and the rate): where
 *     rule lookups happen, since established flows pass on conntrack.
 * Then ns per program run from the kernel's accounting (dataplane-progcost.ts), the time from
 * swapRules() to the new verdict on the wire (the dataplane's part of policy-to-wire), and, through
 * a real agent in the lab (dataplane-agent.ts), policy-to-wire from the Kubernetes API, agent memory
 * per pod and agent CPU under pod churn elsewhere.
 *
 * The latency measurements' clients and servers run at real-time priority (dataplane-tools.ts,
 * atRtPriority: on a loaded machine that is what makes rounds comparable); --no-rt leaves them at
 * normal priority. --pin-cpus runs clients on CPU 0 and servers on CPU 1 (taskset).
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
import { measureAbConnects, printAb, summariseAb, type AbOptions, type AbPair } from './dataplane-ab';
import { runAgentBench, type TargetLine } from './dataplane-agent';
import {
  type ConnectResult,
  type ToggleSample,
  WireProbe,
  judgeToggle,
  measureConnects,
} from './dataplane-clients';
import {
  attachNoop,
  attachedPrograms,
  detachNoop,
  measureProgramCost,
  type ProgramCost,
} from './dataplane-progcost';
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
  raiseToRt,
  iperfGbps,
  sockperfRoundTrips,
  startIperfServer,
  startSockperfServer,
  type NetnsServer,
  type RoundTrips,
} from './dataplane-tools';
import { summariseMs } from './latency';
import { median, textTable } from './stats';
import { formatRatio, ratioSummary } from './dataplane-verdict';

const QUICK = process.argv.includes('--quick');
const PIN_CPUS = process.argv.includes('--pin-cpus');
const AGENT = !process.argv.includes('--no-agent');
const PACKETS = !process.argv.includes('--agent-only');
/** Only the ns per program run (quick before/after comparisons of a change to the programs). */
const COST_ONLY = process.argv.includes('--cost-only');
/** Latency clients and servers at real-time priority (dataplane-tools.ts, atRtPriority). */
/** Only the A/B new-connection comparison (dataplane-ab.ts). */
const AB_CONNECT = process.argv.includes('--ab-connect');
/**
 * Not for the A/B: with three pairs' clients and servers at SCHED_FIFO its runs stalled (server pods
 * spinning at 88% CPU each, the connect loops starved; three runs out of three on a loaded machine),
 * and interleaving is what makes its setups comparable there.
 */
const RT = !process.argv.includes('--no-rt') && !AB_CONNECT;
const AB_BATCH = 20;
const AB_CYCLES_PER_PHASE = QUICK ? 100 : 400;
/** --ab-shift=N: pair i carries setup (i + N) % 3 ((a), (a'), (b)). */
const AB_SHIFT = Number(
  /^--ab-shift=(\d)$/.exec(process.argv.find((a) => a.startsWith('--ab-shift=')) ?? '')?.[1] ?? 2,
);
const CLIENT_CPU = PIN_CPUS ? 0 : undefined;
const SERVER_CPU = PIN_CPUS ? 1 : undefined;
/** Rounds of the full comparison (every setup). */
const ROUNDS = QUICK ? 2 : 5;
/**
 * Rounds of the target comparison: (a), (a') and (b) at 10,000 rules only, so a round is short and
 * (a) and (b) are measured seconds apart; enough of them that the median ratio's 95% interval is
 * a few percent wide on a loaded 2-CPU machine (dataplane-verdict.ts).
 */
const TARGET_ROUNDS = QUICK ? 5 : 15;
// Short measurements, many rounds: on a shared machine the noise is the load moving between
// measurements, which more rounds average out and longer measurements do not.
const IPERF_SECONDS = 2;
const SOCKPERF_SECONDS = 1;
const CONNECT_SECONDS = 1;
const RULE_COUNTS = [10, 1_000, 10_000] as const;
const TOGGLES = QUICK ? 10 : 40;
const PROBE_INTERVAL_MS = 1;
const PROBE_TIMEOUT_MS = 200;
/** How long after swapRules() returns a toggle watches before it is judged. */
const WINDOW_AFTER_MS = 100;
const TARGET_COST = 0.05;
/** Repetitions of each ns/run measurement. */
const COST_REPEATS = 3;

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
/**
 * The A/B's other two pairs (the first is a -> b). Their clients share the client's identity and
 * their servers the server's, so the same rules hold whichever pair carries our programs.
 */
const AB_EXTRA_PAIRS = [
  { client: 'c', clientIpv4: '10.77.0.4', server: 'd', serverIpv4: '10.77.0.5' },
  { client: 'e', clientIpv4: '10.77.0.6', server: 'f', serverIpv4: '10.77.0.7' },
] as const;

type Setup =
  | { readonly kind: 'none'; readonly label: string }
  | { readonly kind: 'noop'; readonly label: string }
  | { readonly kind: 'bpf' | 'iptables' | 'ipset'; readonly label: string; readonly rules: number };

const SETUPS: readonly Setup[] = [
  { kind: 'none', label: '(a) no program' },
  { kind: 'noop', label: "(a') empty tc program" },
  ...RULE_COUNTS.map((rules): Setup => ({ kind: 'bpf', label: `(b) eBPF, ${rules} rules`, rules })),
  ...RULE_COUNTS.map((rules): Setup => ({ kind: 'iptables', label: `(c) iptables, ${rules} rules`, rules })),
  ...RULE_COUNTS.map((rules): Setup => ({ kind: 'ipset', label: `(c) ipset, ${rules} entries`, rules })),
];

const TARGET_SETUPS: readonly Setup[] = SETUPS.filter(
  (setup) =>
    setup.kind === 'none' || setup.kind === 'noop' || (setup.kind === 'bpf' && setup.rules === 10_000),
);

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
  private noopAttached = false;
  private readonly rulesByCount = new Map<number, BenchRule[]>();

  constructor(
    readonly lab: NodeNetwork,
    readonly dataplane: BpfDataplane,
    readonly noopPath: string,
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

  private async setNoop(on: boolean): Promise<void> {
    if (on === this.noopAttached) return;
    for (const pod of ['a', 'b']) {
      const hostIf = this.lab.pod(pod).hostIf;
      await (on ? attachNoop(this.node, hostIf, this.noopPath) : detachNoop(this.node, hostIf));
    }
    this.noopAttached = on;
  }

  async apply(setup: Setup): Promise<void> {
    if (setup.kind !== 'bpf') await this.detachPrograms();
    if (setup.kind !== 'noop') await this.setNoop(false);
    if (setup.kind === 'none') return clearFirewall(this.node);
    if (setup.kind === 'noop') {
      await clearFirewall(this.node);
      return this.setNoop(true);
    }
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
    const gbps = await iperfGbps(this.client, SERVER.ipv4, IPERF_SECONDS, CLIENT_CPU);
    const roundTrips = await this.roundTrips(SOCKPERF_SECONDS);
    const connects = await this.connects(CONNECT_SECONDS);
    return { gbps, roundTrips, connects };
  }

  roundTrips(seconds: number): Promise<RoundTrips> {
    return sockperfRoundTrips(this.client, SERVER.ipv4, seconds, CLIENT_CPU, RT);
  }

  connects(seconds: number): Promise<ConnectResult> {
    return measureConnects({
      netns: this.client,
      host: SERVER.ipv4,
      port: CONNECT_PORT,
      seconds,
      cpu: CLIENT_CPU,
      rt: RT,
    });
  }
}

async function buildLab(
  cleanup: Cleanup,
  paths: { objectPath: string; loaderPath: string; noopPath: string },
) {
  const lab = new NodeNetwork(PREFIX, { ipv4: '10.77.255.1', ipv6: 'fd77::ff:1' });
  cleanup.add('namespaces', () => lab.destroy());
  await lab.createNode();
  const serverPorts = [CONNECT_PORT, PROBE_PORT, CLOSED_PORT];
  const clients = [{ name: 'a', ipv4: CLIENT.ipv4, ipv6: CLIENT.ipv6, ports: [] }];
  const servers = [{ name: 'b', ipv4: SERVER.ipv4, ipv6: SERVER.ipv6, ports: serverPorts }];
  if (AB_CONNECT) {
    for (const pair of AB_EXTRA_PAIRS) {
      clients.push({ name: pair.client, ipv4: pair.clientIpv4, ipv6: `fd77::${pair.client}`, ports: [] });
      servers.push({
        name: pair.server,
        ipv4: pair.serverIpv4,
        ipv6: `fd77::${pair.server}`,
        ports: serverPorts,
      });
    }
  }
  for (const pod of [...clients, ...servers]) await lab.addPod(pod);
  // A client opens tens of thousands of connections: every ephemeral port, in its namespace only.
  for (const client of clients) {
    execFileSync('ip', [
      'netns',
      'exec',
      lab.pod(client.name).netns,
      'sysctl',
      '-qw',
      'net.ipv4.ip_local_port_range=1024 65535',
    ]);
  }
  cleanup.add('pin directory', () => rmSync(PIN_DIR, { recursive: true, force: true }));
  const dataplane = await BpfDataplane.open({
    pinDir: PIN_DIR,
    objectPath: paths.objectPath,
    loaderPath: paths.loaderPath,
  });
  cleanup.add('loader', () => dataplane.close());
  await dataplane.setIdentities([
    ...clients.map((pod) => ({ cidr: pod.ipv4, identity: CLIENT.identity })),
    ...servers.map((pod) => ({ cidr: pod.ipv4, identity: SERVER.identity })),
    { cidr: '10.77.255.1', identity: IDENTITY.HOST },
  ]);
  const tools: NetnsServer[] = [
    await startIperfServer(lab.pod('b').netns, SERVER.ipv4, SERVER_CPU),
    await startSockperfServer(lab.pod('b').netns, SERVER.ipv4, SERVER_CPU, RT),
  ];
  cleanup.add('servers', () => Promise.all(tools.map((server) => server.stop())).then(() => undefined));
  // The connect loop's server is the pod's own process (it serves CONNECT_PORT).
  if (RT) for (const pid of lab.pids()) await raiseToRt(pid);
  return new BenchLab(lab, dataplane, paths.noopPath);
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
  const results: { rules: number; samples: ToggleSample[]; misses: number; strays: number }[] = [];
  try {
    for (const count of RULE_COUNTS) {
      const withProbe = asPolicyRules(benchRules(count, CLIENT_PEER, [...TEST_PORTS, PROBE_PORT]));
      const withoutProbe = asPolicyRules(benchRules(count, CLIENT_PEER, TEST_PORTS));
      const swap = (rules: PolicyRule[]) =>
        bench.dataplane.swapRules(SERVER.endpointId, DIRECTION.INGRESS, rules);
      await swap(withoutProbe);
      await probe.settled(process.hrtime.bigint(), 10_000);
      probe.take();
      const samples: ToggleSample[] = [];
      let misses = 0;
      let strays = 0;
      for (let toggle = 0; toggle < TOGGLES; toggle++) {
        const allow = toggle % 2 === 0;
        const callNs = process.hrtime.bigint();
        await swap(allow ? withProbe : withoutProbe);
        const returnNs = process.hrtime.bigint();
        await probe.settled(returnNs + BigInt(WINDOW_AFTER_MS) * 1_000_000n, 10_000);
        const judged = judgeToggle(probe.take(), allow, callNs, returnNs, WINDOW_AFTER_MS);
        strays += judged.strays;
        if (judged.sample) samples.push(judged.sample);
        else misses++;
      }
      results.push({ rules: count, samples, misses, strays });
    }
  } finally {
    await probe.stop();
  }
  return results;
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
const times = (value: number) => `${value.toFixed(3)}x`;

type Pick = (round: RoundResult) => number;
const gbps: Pick = (round) => round.gbps;
const rrP50: Pick = (round) => round.roundTrips.p50Us;
const rrP99: Pick = (round) => round.roundTrips.p99Us;
const cRate: Pick = (round) => round.connects.perSecond;
const cP50: Pick = (round) => round.connects.p50Us;
const cP99: Pick = (round) => round.connects.p99Us;

/** Median over rounds of a value, and of its ratio to (a) measured in the same round. */
function statsOf(results: Map<Setup, RoundResult[]>, setup: Setup, pick: Pick) {
  const rounds = results.get(setup)!;
  const base = results.get(SETUPS[0]!)!;
  const values = rounds.map(pick);
  const ratios = ratioSummary(rounds.map((round, i) => pick(round) / pick(base[i]!)));
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    ratio: ratios.median,
    ratios,
  };
}

function packetTables(results: Map<Setup, RoundResult[]>): void {
  const of = (setup: Setup, pick: Pick) => statsOf(results, setup, pick);
  console.log(
    `\nTCP throughput (iperf3, ${IPERF_SECONDS} s a run after 1 s omitted; medians of ${ROUNDS} rounds; ` +
      `"vs (a)": median over rounds of the ratio to (a) in the same round)`,
  );
  console.log(
    textTable(
      ['setup', 'Gbit/s', 'min', 'max', 'vs (a)', ''],
      SETUPS.map((setup) => {
        const t = of(setup, gbps);
        return [setup.label, fixed(t.median, 2), fixed(t.min, 2), fixed(t.max, 2), times(t.ratio), ''];
      }),
    ),
  );
  console.log(
    `\nRound trips on one established TCP connection (sockperf ping-pong, 64 B, ${SOCKPERF_SECONDS} s; medians of ${ROUNDS} rounds' percentiles)`,
  );
  console.log(
    textTable(
      ['setup', 'p50 us', 'p99 us', 'p50 vs (a)', 'p99 vs (a)', ''],
      SETUPS.map((setup) => {
        const p50 = of(setup, rrP50);
        const p99 = of(setup, rrP99);
        return [
          setup.label,
          fixed(p50.median, 2),
          fixed(p99.median, 2),
          times(p50.ratio),
          times(p99.ratio),
          '',
        ];
      }),
    ),
  );
  console.log(
    `\nNew TCP connections, one after the other (node client: connect() to established, then RST; ${CONNECT_SECONDS} s; medians of ${ROUNDS} rounds)`,
  );
  console.log(
    textTable(
      ['setup', 'conn/s', 'p50 us', 'p99 us', 'rate vs (a)', 'p50 vs (a)', 'p99 vs (a)', ''],
      SETUPS.map((setup) => {
        const rate = of(setup, cRate);
        const p50 = of(setup, cP50);
        const p99 = of(setup, cP99);
        return [
          setup.label,
          fixed(rate.median, 0),
          fixed(p50.median, 1),
          fixed(p99.median, 1),
          times(rate.ratio),
          times(p50.ratio),
          times(p99.ratio),
          '',
        ];
      }),
    ),
  );
}

/**
 * The target comparison: every metric of (a') and (b) 10,000 rules against (a), as the median of
 * per-round ratios with its 95% interval and the whole spread over rounds.
 */
function targetTable(results: Map<Setup, RoundResult[]>): void {
  console.log(
    `\nTarget comparison: (a), (a') and (b) at 10,000 rules only, ${TARGET_ROUNDS} rounds (order rotated), ` +
      `(a) and (b) seconds apart. Each cell: median over rounds of the ratio to (a) of the same round, its 95% ` +
      `confidence interval (order statistics) and the lowest-highest round. Throughput and rate: below 1 is a cost; ` +
      `latency: above 1 is a cost.`,
  );
  const metrics: [string, Pick][] = [
    ['throughput', gbps],
    ['RR p50', rrP50],
    ['RR p99', rrP99],
    ['new conn. p50', cP50],
    ['new conn. p99', cP99],
    ['new conn. rate', cRate],
  ];
  const body: string[][] = [];
  for (const [name, pick] of metrics) {
    const base = statsOf(results, TARGET_SETUPS[0]!, pick);
    const cells = TARGET_SETUPS.slice(1).map((setup) => formatRatio(statsOf(results, setup, pick).ratios));
    body.push([name, fixed(base.median, name === 'throughput' ? 2 : 1), ...cells, '']);
  }
  console.log(
    textTable(
      ['metric', '(a) median', ...TARGET_SETUPS.slice(1).map((setup) => `${setup.label} vs (a)`), ''],
      body,
    ),
  );
}

interface CostRow {
  readonly label: string;
  readonly established: readonly ProgramCost[];
  readonly connecting: readonly ProgramCost[];
}

function costTable(rows: readonly CostRow[]): void {
  console.log(
    `\nns per program run (kernel.bpf_stats_enabled run_time_ns/run_cnt, medians of ${COST_REPEATS}; the accounting ` +
      `adds its own clock reads: the empty program's row is that floor). "established": sockperf ping-pong; ` +
      `"new conn.": the connect loop (each connection's SYN is judged by the rules, the rest by conntrack)`,
  );
  const body: string[][] = [];
  for (const row of rows) {
    for (const prog of row.established) {
      const connecting = row.connecting.find((c) => c.id === prog.id);
      body.push([
        row.label,
        `${prog.name} (${prog.where})`,
        fixed(prog.nsPerRun, 0),
        connecting ? fixed(connecting.nsPerRun, 0) : '-',
        '',
      ]);
    }
  }
  console.log(textTable(['setup', 'program (hooks)', 'established ns/run', 'new conn. ns/run', ''], body));
}

function wireTable(wire: Awaited<ReturnType<typeof measureRuleToWire>>): void {
  console.log(
    `\nRule change to the wire (our programs): swapRules() on the server pod's ingress toggling the probe port's rule, ` +
      `a probe loop opening a new connection every ${PROBE_INTERVAL_MS} ms (resolution ~${PROBE_INTERVAL_MS} ms). ` +
      `"return -> wire" is the send time of the first probe with the new verdict minus swapRules()'s return ` +
      `(negative: the swap was live before the reply came back: the kernel waits an RCU grace ` +
      `period after a map-in-map update before the syscall returns, so "call -> wire" is the ` +
      `dataplane's latency: encoding, the loader, building the new inner map, the swap). This is the dataplane's part of ` +
      `policy-to-wire only; the agent's is below.`,
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
        const swap = summariseMs(samples.map((s) => s.callMs));
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
}

/** The targets from the target comparison; each cost with its 95% interval (in the value's text). */
function packetTargets(results: Map<Setup, RoundResult[]>): TargetLine[] {
  const lines: TargetLine[] = [];
  const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
  const cost = (name: string, pick: Pick, higherIsCost: boolean, judged = true) => {
    for (const setup of TARGET_SETUPS.filter((s) => s.kind === 'bpf')) {
      const r = statsOf(results, setup, pick).ratios;
      const [value, a, b] = higherIsCost
        ? [r.median - 1, r.low - 1, r.high - 1]
        : [1 - r.median, 1 - r.high, 1 - r.low];
      lines.push({
        name: `${name}, ${setup.label}`,
        value: `${pct(value)} (CI ${pct(a)}..${pct(b)})`,
        ...(judged ? { met: value <= TARGET_COST } : {}),
      });
    }
  };
  cost('throughput cost', gbps, false);
  cost('round-trip p50 cost', rrP50, true);
  cost('round-trip p99 cost', rrP99, true);
  // Issue 9's targets are throughput and request/response latency between two pods. Connection
  // setup is measured too (where rule lookups happen), without a target: a connect's latency flips
  // between two modes on these machines, so --ab-connect is the way to measure it.
  cost('new-connection p50 cost', cP50, true, false);
  cost('new-connection p99 cost', cP99, true, false);
  cost('new-connection rate cost', cRate, false, false);
  return lines;
}

function printTargets(lines: readonly TargetLine[]): void {
  console.log(
    `\nTargets (issue 9): at most ${TARGET_COST * 100}% throughput and request/response latency cost against (a) at 10,000 rules; ` +
      `policy-to-wire p99 under 200 ms; under 10 KiB of agent memory per pod added ("no target": measured for reference)`,
  );
  const width = Math.max(...lines.map((line) => line.name.length));
  for (const line of lines) {
    const verdict = line.met === undefined ? 'no target' : line.met ? 'met' : 'NOT met';
    console.log(`  ${line.name.padEnd(width)}  ${line.value.padStart(10)}  ${verdict}`);
  }
}

async function measureCosts(bench: BenchLab): Promise<CostRow[]> {
  const rows: CostRow[] = [];
  const costSetups = SETUPS.filter((setup) => setup.kind === 'noop' || setup.kind === 'bpf');
  const repeat = async (
    programs: Awaited<ReturnType<typeof attachedPrograms>>,
    work: () => Promise<unknown>,
  ) => {
    const runs: ProgramCost[][] = [];
    for (let i = 0; i < COST_REPEATS; i++) runs.push(await measureProgramCost(programs, work));
    return programs.map((prog, index) => ({
      ...prog,
      runs: median(runs.map((r) => r[index]!.runs)),
      nsPerRun: median(runs.map((r) => r[index]!.nsPerRun)),
    }));
  };
  for (const setup of costSetups) {
    await bench.apply(setup);
    const programs = await attachedPrograms(bench.node);
    rows.push({
      label: setup.label,
      established: await repeat(programs, () => bench.roundTrips(1)),
      connecting: await repeat(programs, () => bench.connects(1)),
    });
  }
  return rows;
}

/** Every setup once a round, the order rotated each round; results per setup in round order. */
async function measureRounds(bench: BenchLab, setups: readonly Setup[], rounds: number, phase: string) {
  const results = new Map<Setup, RoundResult[]>(setups.map((setup) => [setup, []]));
  for (let round = 0; round < rounds; round++) {
    const order = setups.map((_, index) => setups[(index + round) % setups.length]!);
    for (const setup of order) {
      await bench.apply(setup);
      const result = await bench.measure();
      results.get(setup)!.push(result);
      process.stderr.write(
        `${phase} round ${round + 1}/${rounds} ${setup.label}: ${result.gbps.toFixed(2)} Gbit/s, rr p50 ${result.roundTrips.p50Us} us, ` +
          `${result.connects.perSecond.toFixed(0)} conn/s p50 ${result.connects.p50Us.toFixed(1)} us\n`,
      );
    }
  }
  return results;
}

/** The A/B new-connection comparison on the lab's three pairs (dataplane-ab.ts). */
async function abConnects(bench: BenchLab): Promise<void> {
  const pair = (name: string, client: string, server: string, serverIp: string): AbPair => ({
    name,
    clientNetns: bench.lab.pod(client).netns,
    clientIf: bench.lab.pod(client).hostIf,
    serverIf: bench.lab.pod(server).hostIf,
    serverIp,
  });
  const pairs = [
    pair('a->b', 'a', 'b', SERVER.ipv4),
    ...AB_EXTRA_PAIRS.map((p) => pair(`${p.client}->${p.server}`, p.client, p.server, p.serverIpv4)),
  ];
  const clientOf = new Map(pairs.map((p) => [p, p.name.split('->')[0]!]));
  const options: AbOptions = {
    node: bench.node,
    pairs,
    dataplane: bench.dataplane,
    noopPath: bench.noopPath,
    labels: { none: SETUPS[0]!.label, noop: SETUPS[1]!.label, bpf: '(b) eBPF, 10000 rules' },
    serverEndpointId: SERVER.endpointId,
    rules: asPolicyRules(benchRules(10_000, CLIENT_PEER, TEST_PORTS)),
    port: CONNECT_PORT,
    closedPort: CLOSED_PORT,
    reaches: async (p, port, timeoutMs) =>
      (await bench.lab.pod(clientOf.get(p)!).agent.connect(p.serverIp, port, timeoutMs)).ok,
    cyclesPerPhase: AB_CYCLES_PER_PHASE,
    shift: AB_SHIFT,
    batch: AB_BATCH,
    cpu: CLIENT_CPU,
    rt: RT,
  };
  const result = await measureAbConnects(options, (line) => process.stderr.write(`${line}\n`));
  const summary = summariseAb(result);
  printAb(options, result, summary);
  console.log(JSON.stringify({ abConnect: { owner: result.owner, summary } }));
}

async function packetBench(paths: ReturnType<typeof ensureBenchPrerequisites>, cleanup: Cleanup) {
  const bench = await buildLab(cleanup, paths);
  if (AB_CONNECT) {
    await abConnects(bench);
    return [];
  }
  if (COST_ONLY) {
    costTable(await measureCosts(bench));
    return [];
  }
  const results = await measureRounds(bench, SETUPS, ROUNDS, 'all setups');
  const targetResults = await measureRounds(bench, TARGET_SETUPS, TARGET_ROUNDS, 'target');
  const costs = await measureCosts(bench);
  const wire = await measureRuleToWire(bench, cleanup);
  packetTables(results);
  targetTable(targetResults);
  costTable(costs);
  wireTable(wire);
  console.log(
    JSON.stringify({
      rounds: ROUNDS,
      setups: SETUPS.map((setup) => ({ setup: setup.label, rounds: results.get(setup) })),
      targetRounds: TARGET_ROUNDS,
      target: TARGET_SETUPS.map((setup) => ({ setup: setup.label, rounds: targetResults.get(setup) })),
      programCost: costs,
      ruleToWire: wire,
    }),
  );
  return packetTargets(targetResults);
}

async function main(): Promise<void> {
  const repoRoot = findRepoRoot();
  const paths = ensureBenchPrerequisites(repoRoot);
  sweepLeftovers();
  const cleanup = new Cleanup();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void cleanup.finish().finally(() => process.exit(130));
    });
  }
  const targets: TargetLine[] = [];
  try {
    console.log(
      `netpol dataplane bench: kernel ${release()}, ${cpus().length} CPUs, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, ` +
        `${ROUNDS} rounds + ${TARGET_ROUNDS} target rounds${QUICK ? ' (--quick)' : ''}${PIN_CPUS ? ', clients on CPU 0 and servers on CPU 1' : ''}` +
        `${RT ? ', latency clients and servers at SCHED_FIFO' : ''}; lab ${PREFIX}*`,
    );
    if (PACKETS || COST_ONLY) targets.push(...(await packetBench(paths, cleanup)));
  } finally {
    await cleanup.finish();
  }
  if (AGENT && !COST_ONLY && !AB_CONNECT) {
    targets.push(
      ...(await runAgentBench({
        repoRoot,
        objectPath: paths.objectPath,
        loaderPath: paths.loaderPath,
        quick: QUICK,
      })),
    );
  }
  printTargets(targets);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
