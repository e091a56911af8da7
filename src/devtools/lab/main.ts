/**
 * `netpol lab`: NetworkPolicies enforced by the real agents on real packets, on this machine (root).
 * The CLI (src/cli/lab-command.ts) runs this file as a child process; it can also run alone:
 *
 *   node dist/src/devtools/lab/main.js matrix --state FILE [--port N] [--protocol TCP|UDP] [--output json|table]
 *   node dist/src/devtools/lab/main.js up --state FILE      # keeps a lab running (lab-record.ts)
 *   node dist/src/devtools/lab/main.js down
 *
 * matrix builds the lab (lab.ts), probes every pair and prints the JSON `netpol matrix` prints,
 * then removes everything, also on a failure or SIGINT/SIGTERM. up starts a detached `serve`
 * process that builds the lab, records it and holds it until SIGTERM (`down` sends it, and removes
 * whatever a killed supervisor left). Exit status: 0, 2 bad input or environment, 1 a failure.
 */
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { isNetpolError, NetpolError } from '../../core/errors';
import { entryCommand, findRepoRoot, OWN_FORM } from '../../platform/entry-point';
import { parseStateText } from '../kube-stand-in';
import { Lab, type LabInventory, type Matrix } from './lab';
import { planLab, type PlanOptions } from './lab-plan';
import { LOG_FILE, readRecord, RECORD_FILE, removeRecord, writeRecord } from './lab-record';
import { deleteNetns } from './netns';

const USAGE = `usage: netpol lab matrix --state FILE [--port N] [--protocol TCP|UDP] [--output json|table]
       netpol lab up --state FILE
       netpol lab down`;

const BPF_FS_MAGIC = 0xcafe4a11;

interface Args {
  command: string;
  state?: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  output: 'json' | 'table';
}

function parseArgs(argv: readonly string[]): Args {
  const [command, ...rest] = argv;
  if (command !== 'matrix' && command !== 'up' && command !== 'down' && command !== 'serve') {
    throw new NetpolError('E_USAGE', `unknown lab command "${String(command)}"`, { hint: USAGE });
  }
  const args: Args = { command, port: 80, protocol: 'TCP', output: 'table' };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    const value = rest[i + 1];
    const need = (): string => {
      if (value === undefined) throw new NetpolError('E_USAGE', `${flag} needs a value`, { hint: USAGE });
      i++;
      return value;
    };
    if (flag === '--state') args.state = need();
    else if (flag === '--port') {
      const text = need();
      args.port = Number(text);
      if (!/^\d+$/.test(text) || args.port < 1 || args.port > 65535)
        throw new NetpolError('E_USAGE', `--port must be a number from 1 to 65535, not "${text}"`);
    } else if (flag === '--protocol') {
      const text = need().toUpperCase();
      if (text === 'SCTP')
        throw new NetpolError(
          'E_USAGE',
          '--protocol SCTP: the lab probes TCP and UDP only (the kernel has no SCTP)',
        );
      if (text !== 'TCP' && text !== 'UDP') throw new NetpolError('E_USAGE', `--protocol must be TCP or UDP`);
      args.protocol = text;
    } else if (flag === '--output') {
      const text = need();
      if (text !== 'json' && text !== 'table')
        throw new NetpolError('E_USAGE', '--output must be json or table');
      args.output = text;
    } else throw new NetpolError('E_USAGE', `unknown argument "${flag}"`, { hint: USAGE });
  }
  if ((command === 'matrix' || command === 'up' || command === 'serve') && args.state === undefined) {
    throw new NetpolError('E_USAGE', `lab ${command} needs --state FILE`, { hint: USAGE });
  }
  return args;
}

/** Root, bpffs and the built eBPF objects; returns the repository root. */
function checkEnvironment(): string {
  if (process.getuid?.() !== 0) {
    throw new NetpolError(
      'E_USAGE',
      'netpol lab needs root (network namespaces, eBPF programs): run it with sudo',
    );
  }
  const repoRoot = findRepoRoot(__dirname);
  if (repoRoot === null) throw new Error(`cannot find netpol's package.json above ${__dirname}`);
  if (statfsSync('/sys/fs/bpf', { bigint: false }).type !== BPF_FS_MAGIC) {
    execFileSync('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf']);
  }
  for (const file of ['netpol.bpf.o', 'netpol-loader']) {
    if (!existsSync(join(repoRoot, 'bpf', 'build', file))) {
      throw new NetpolError(
        'E_USAGE',
        `bpf/build/${file} is missing: run npm run build:bpf (clang, llvm, libbpf-dev)`,
      );
    }
  }
  return repoRoot;
}

function labFor(
  args: Args,
  repoRoot: string,
  prefix: string,
  tls: boolean,
  probe?: PlanOptions['probe'],
): Lab {
  const file = args.state!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new NetpolError('E_STATE', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const plan = planLab(parseStateText(text, file).objects, {
    prefix,
    ...(probe === undefined ? {} : { probe }),
  });
  return Lab.prepare({
    plan,
    repoRoot,
    form: OWN_FORM,
    bpfObject: join(repoRoot, 'bpf', 'build', 'netpol.bpf.o'),
    bpfLoader: join(repoRoot, 'bpf', 'build', 'netpol-loader'),
    tls,
    progress: (line) => process.stderr.write(`netpol lab: ${line}\n`),
  });
}

/** Destroys `lab` on SIGINT/SIGTERM, then exits 130. */
function destroyOnSignal(lab: Lab): () => void {
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) return; // Ctrl-C reaches both this process and the CLI, which passes it on
    interrupted = true;
    process.stderr.write('netpol lab: interrupted, removing the lab\n');
    void lab.destroy().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

export function matrixTable(matrix: Matrix): string {
  const pods = Object.keys(matrix);
  const width = Math.max(4, ...pods.map((p) => p.length));
  const lines = [`${''.padEnd(width)} ${pods.map((_, i) => String(i).padStart(3)).join('')}`];
  pods.forEach((from, i) => {
    const cells = pods.map((to) => (matrix[from]![to] ? '  .' : '  X')).join('');
    lines.push(`${from.padEnd(width)} ${cells}   ${i}`);
  });
  return `${lines.join('\n')}\n(. reachable, X blocked; columns are the rows' numbers)\n`;
}

async function runMatrix(args: Args): Promise<void> {
  const repoRoot = checkEnvironment();
  const lab = labFor(args, repoRoot, `nplab-${process.pid}-`, false, {
    port: args.port,
    protocol: args.protocol,
  });
  const release = destroyOnSignal(lab);
  try {
    await lab.build();
    process.stderr.write(`netpol lab: probing ${args.protocol}/${args.port}\n`);
    const matrix = await lab.probeMatrix(args.port, args.protocol);
    process.stdout.write(args.output === 'json' ? `${JSON.stringify(matrix)}\n` : matrixTable(matrix));
  } finally {
    await lab.destroy();
    release();
  }
}

/** `up`: start `serve` detached, wait for its record to say ready, print how to use the lab. */
async function runUp(args: Args): Promise<void> {
  const repoRoot = checkEnvironment();
  const existing = readRecord();
  if (existing !== null && isAlive(existing.pid)) {
    throw new NetpolError('E_USAGE', `a lab is already running (pid ${existing.pid}): netpol lab down first`);
  }
  if (existing !== null) await cleanUp(existing.inventory);
  removeRecord();
  const command = entryCommand(repoRoot, 'devtools/lab/main', {
    prefer: OWN_FORM,
    callMain: true,
    args: ['serve', '--state', args.state!],
  });
  mkdirSync(join(LOG_FILE, '..'), { recursive: true });
  const log = openSync(LOG_FILE, 'w');
  const child = spawn(process.execPath, command.args, {
    cwd: process.cwd(),
    env: { ...process.env, ...command.env },
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  const pid = child.pid!;
  for (;;) {
    const record = readRecord();
    if (record?.state === 'ready' && record.pid === pid) {
      process.stdout.write(upSummary(record));
      return;
    }
    if (!isAlive(pid)) {
      const tail = readFileSync(LOG_FILE, 'utf8').split('\n').slice(-20).join('\n');
      throw new Error(`the lab did not start:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function upSummary(record: NonNullable<ReturnType<typeof readRecord>>): string {
  const lines = [`lab running (pid ${record.pid}); stop it with: netpol lab down`, ''];
  for (const node of record.nodes ?? [])
    lines.push(`node ${node.name}: netns ${node.netns}, ${node.address}`);
  lines.push('');
  for (const pod of record.pods ?? [])
    lines.push(`${pod.pod.padEnd(30)} ${pod.ip.padEnd(16)} netns ${pod.netns}`);
  const first = record.pods?.[0];
  const second = record.pods?.[1] ?? first;
  if (first !== undefined && second !== undefined) {
    lines.push(
      '',
      'try:',
      `  ip netns exec ${first.netns} curl -m 2 http://${second.ip}/   # the pod's name, or a timeout when blocked`,
    );
  }
  lines.push(
    `  kubectl --kubeconfig ${record.kubeconfig ?? '?'} apply -f policy.yaml   # the agents enforce it`,
    `  redis-cli -u ${record.redisUrl ?? '?'} xrange netpol:drops:lab - +    # drop events`,
    `log: ${LOG_FILE}`,
    '',
  );
  return lines.join('\n');
}

/** The detached process behind `up`: builds, records, holds until SIGTERM/SIGINT. */
async function runServe(args: Args): Promise<void> {
  const repoRoot = checkEnvironment();
  writeRecord({ pid: process.pid, state: 'starting' });
  const lab = labFor(args, repoRoot, 'nplab-', true);
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (): void => {
      if (stopping) return;
      stopping = true;
      void lab
        .destroy()
        .then(() => removeRecord())
        .finally(() => resolve());
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await lab.build();
  const nodesByName = new Map(lab.plan.nodes.map((n) => [n.name, n]));
  writeRecord({
    pid: process.pid,
    state: 'ready',
    inventory: lab.inventory(),
    kubeconfig: lab.kubeconfigPath,
    redisUrl: lab.redis?.url,
    nodes: lab.plan.nodes.map((n) => ({ name: n.name, netns: n.netns, address: n.ipv4 })),
    pods: lab.plan.pods.map((p) => ({
      pod: p.key,
      netns: p.netns,
      ip: p.ips[0]!,
      node: nodesByName.get(p.node)!.name,
    })),
  });
  process.stderr.write('netpol lab: ready\n');
  await stopped;
  process.exit(0);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes what a lab's inventory names (processes, namespaces, pin dirs, files). */
async function cleanUp(inventory: LabInventory | undefined): Promise<void> {
  if (inventory === undefined) return;
  for (const pid of inventory.pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await deleteNetns([...inventory.namespaces]);
  for (const dir of inventory.pinDirs) rmSync(dir, { recursive: true, force: true });
  rmSync(inventory.workDir, { recursive: true, force: true });
}

async function runDown(): Promise<void> {
  const record = readRecord();
  if (record === null) {
    process.stderr.write(`netpol lab: no lab is running (${RECORD_FILE} is absent)\n`);
    return;
  }
  if (isAlive(record.pid)) {
    process.kill(record.pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (isAlive(record.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(record.pid)) process.kill(record.pid, 'SIGKILL');
  }
  await cleanUp(record.inventory);
  removeRecord();
  process.stderr.write('netpol lab: removed\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.command === 'matrix') await runMatrix(args);
    else if (args.command === 'up') await runUp(args);
    else if (args.command === 'serve') await runServe(args);
    else await runDown();
    return 0;
  } catch (error) {
    if (isNetpolError(error)) {
      process.stderr.write(`netpol: ${error.toLine()}\n`);
      return 2;
    }
    process.stderr.write(
      `netpol lab: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

function runAsProcess(argv: readonly string[]): void {
  void main(argv).then((code) => process.exit(code));
}

if (require.main === module) runAsProcess(process.argv.slice(2));
