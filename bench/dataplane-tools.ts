/**
 * The external tools of the dataplane bench, inside the lab's namespaces: iperf3 (TCP throughput)
 * and sockperf (TCP ping-pong round trips on one established connection), their servers, and the
 * bench's own dependency check (root, bpffs, the built objects, iperf3, sockperf, iptables, ipset;
 * the Debian packages are installed when missing, as scripts/lib/ensure-deps.sh installs the test
 * suite's). Servers are long-lived children; stop() kills them by pid.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The directory holding bpf/Makefile, found upward from this file (source or dist/). */
export function findRepoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'bpf', 'Makefile')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = join(dir, '..');
    if (parent === dir) throw new Error('cannot find the repository root (bpf/Makefile) above ' + __dirname);
    dir = parent;
  }
}

/** `taskset -c CPU` before a command when the bench pins its clients and servers (--pin-cpus). */
export function onCpu(cpu: number | undefined): string[] {
  return cpu === undefined ? [] : ['taskset', '-c', String(cpu)];
}

/**
 * The real-time priority of the latency measurements' clients and servers (the bench's default;
 * --no-rt turns it off). On a machine loaded by other work, a ping-pong or a connect loop at normal
 * priority measures mostly how long its processes wait for a CPU: the same setup read 6 us or 50 us
 * a round trip depending on the moment. At SCHED_FIFO they run as soon as they are woken, so what
 * varies between setups is the packet path. Not for iperf3: a sender at SCHED_FIFO never yields,
 * and the softirq work it defers to ksoftirqd (normal priority) would starve (a run on one CPU
 * hung); its throughput stays as noisy as the machine. These block on every round trip, and the
 * kernel keeps 5% of every second for other work anyway (sched_rt_runtime_us).
 */
export const RT_PRIORITY = 10;

export function atRtPriority(rt: boolean): string[] {
  return rt ? ['chrt', '-f', String(RT_PRIORITY)] : [];
}

/** Gives a running process (all its threads) the latency measurements' real-time priority. */
export async function raiseToRt(pid: number): Promise<void> {
  await run('chrt', ['-a', '-f', '-p', String(RT_PRIORITY), String(pid)]);
}

/** Everything the bench needs before its first packet; throws with the reason. */
export function ensureBenchPrerequisites(repoRoot: string): {
  objectPath: string;
  loaderPath: string;
  noopPath: string;
} {
  if (process.getuid?.() !== 0) {
    throw new Error('npm run bench:dataplane needs root (network namespaces, eBPF, bpffs, iptables)');
  }
  try {
    execFileSync(
      'bash',
      [
        '-c',
        'source scripts/lib/ensure-deps.sh && ensure_apt_packages iperf3 sockperf iptables ipset iproute2 && ensure_bpffs',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'inherit', 'pipe'] },
    );
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`bench prerequisites missing (iperf3, sockperf, iptables, ipset, bpffs): ${stderr}`, {
      cause: err,
    });
  }
  const objectPath = join(repoRoot, 'bpf', 'build', 'netpol.bpf.o');
  const loaderPath = join(repoRoot, 'bpf', 'build', 'netpol-loader');
  const noopPath = join(repoRoot, 'bpf', 'build', 'bench-noop.bpf.o');
  for (const file of [objectPath, loaderPath, noopPath]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build:bpf`);
  }
  return { objectPath, loaderPath, noopPath };
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

async function waitListening(netns: string, port: number, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const { stdout } = await run('ip', ['netns', 'exec', netns, 'ss', '-ltnH', `sport = :${port}`]);
    if (stdout.trim()) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${netns} port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A server process in a namespace, killed by its own pid. */
export class NetnsServer {
  private constructor(private readonly child: ChildProcess) {}

  static async start(netns: string, port: number, argv: readonly string[]): Promise<NetnsServer> {
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: 'ignore' });
    const server = new NetnsServer(child);
    try {
      await waitListening(netns, port, 5_000);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

export const IPERF_PORT = 5201;
export const SOCKPERF_PORT = 11111;

export function startIperfServer(
  netns: string,
  address: string,
  cpu?: number,
  rt = false,
): Promise<NetnsServer> {
  return NetnsServer.start(netns, IPERF_PORT, [
    ...onCpu(cpu),
    ...atRtPriority(rt),
    'iperf3',
    '-s',
    '-B',
    address,
    '-p',
    String(IPERF_PORT),
  ]);
}

export function startSockperfServer(
  netns: string,
  address: string,
  cpu?: number,
  rt = false,
): Promise<NetnsServer> {
  return NetnsServer.start(netns, SOCKPERF_PORT, [
    ...onCpu(cpu),
    ...atRtPriority(rt),
    'sockperf',
    'server',
    '--tcp',
    '-i',
    address,
    '-p',
    String(SOCKPERF_PORT),
  ]);
}

/** Received Gbit/s of one iperf3 run (the first second omitted: slow start). */
export async function iperfGbps(
  netns: string,
  server: string,
  seconds: number,
  cpu?: number,
  rt = false,
): Promise<number> {
  const { stdout } = await run(
    'ip',
    [
      'netns',
      'exec',
      netns,
      ...onCpu(cpu),
      ...atRtPriority(rt),
      'iperf3',
      '-c',
      server,
      '-p',
      String(IPERF_PORT),
      '-t',
      String(seconds),
      '-O',
      '1',
      '-J',
    ],
    { timeout: (seconds + 30) * 1000 },
  );
  const result = JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } };
  return result.end.sum_received.bits_per_second / 1e9;
}

export interface RoundTrips {
  readonly p50Us: number;
  readonly p99Us: number;
}

/** Round-trip p50/p99 of 64-byte ping-pongs on one established TCP connection. */
export async function sockperfRoundTrips(
  netns: string,
  server: string,
  seconds: number,
  cpu?: number,
  rt = false,
): Promise<RoundTrips> {
  const { stdout, stderr } = await run(
    'ip',
    [
      'netns',
      'exec',
      netns,
      ...onCpu(cpu),
      ...atRtPriority(rt),
      'sockperf',
      'ping-pong',
      '--tcp',
      '-i',
      server,
      '-p',
      String(SOCKPERF_PORT),
      '-t',
      String(seconds),
      '-m',
      '64',
      '--full-rtt',
    ],
    { timeout: (seconds + 30) * 1000 },
  );
  const text = stripAnsi(stdout + stderr);
  const percentile = (p: string): number => {
    const match = new RegExp(`percentile ${p.replace('.', '\\.')} =\\s*([0-9.]+)`).exec(text);
    if (!match) throw new Error(`sockperf printed no percentile ${p}:\n${text}`);
    return Number(match[1]);
  };
  return { p50Us: percentile('50.000'), p99Us: percentile('99.000') };
}
