/**
 * What the bench's tc programs cost per packet, from the kernel's own accounting: with
 * kernel.bpf_stats_enabled=1 every program run adds its duration to the program's run_time_ns and
 * one to run_cnt (`bpftool prog show`). ns/run = the difference of the two over a workload. The
 * accounting itself costs two clock reads a run (the empty program's ns/run shows that floor), so
 * it is switched on only around these measurements and set back to what it was.
 *
 * Also attaches the bench's empty program (bpf/bench-noop.bpf.c) the way the agent attaches ours
 * (clsact, direct action, both hooks), inside the lab's node namespace only.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

async function inNetns(netns: string, ...argv: string[]): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', netns, ...argv]);
  return stdout;
}

export async function attachNoop(netns: string, ifname: string, objectPath: string): Promise<void> {
  await inNetns(netns, 'tc', 'qdisc', 'add', 'dev', ifname, 'clsact');
  for (const hook of ['ingress', 'egress']) {
    await inNetns(
      netns,
      'tc',
      'filter',
      'add',
      'dev',
      ifname,
      hook,
      'bpf',
      'da',
      'obj',
      objectPath,
      'sec',
      'tc',
    );
  }
}

/** Removes the clsact qdisc (and with it every filter on the link). */
export async function detachNoop(netns: string, ifname: string): Promise<void> {
  await inNetns(netns, 'tc', 'qdisc', 'del', 'dev', ifname, 'clsact');
}

export interface AttachedProgram {
  readonly id: number;
  readonly name: string;
  /** host veth and hook, e.g. "hv-b egress" */
  readonly where: string;
}

/**
 * The tc programs attached to links of `netns`, one entry per program (the loader attaches one
 * program to every host veth's hook of a kind, so its accounting covers them all): `where` lists
 * the hooks.
 */
export async function attachedPrograms(netns: string): Promise<AttachedProgram[]> {
  const shown = JSON.parse(await inNetns(netns, 'bpftool', '-j', 'net', 'show')) as {
    tc?: { devname: string; kind: string; name: string; id: number }[];
  }[];
  const byId = new Map<number, { name: string; hooks: string[] }>();
  for (const prog of shown.flatMap((entry) => entry.tc ?? [])) {
    const seen = byId.get(prog.id) ?? { name: prog.name, hooks: [] };
    seen.hooks.push(`${prog.devname} ${prog.kind.replace('clsact/', '')}`);
    byId.set(prog.id, seen);
  }
  return [...byId].map(([id, { name, hooks }]) => ({ id, name, where: hooks.join(', ') }));
}

async function runStats(): Promise<Map<number, { ns: number; runs: number }>> {
  const { stdout } = await run('bpftool', ['-j', 'prog', 'show'], { maxBuffer: 64 * 1024 * 1024 });
  const progs = JSON.parse(stdout) as { id: number; run_time_ns?: number; run_cnt?: number }[];
  return new Map(progs.map((p) => [p.id, { ns: p.run_time_ns ?? 0, runs: p.run_cnt ?? 0 }]));
}

export interface ProgramCost extends AttachedProgram {
  readonly runs: number;
  readonly nsPerRun: number;
}

/** Runs `workload` with the kernel's run-time accounting on; returns ns/run per program. */
export async function measureProgramCost(
  programs: readonly AttachedProgram[],
  workload: () => Promise<unknown>,
): Promise<ProgramCost[]> {
  const previous = readFileSync(STATS_SYSCTL, 'utf8').trim();
  writeFileSync(STATS_SYSCTL, '1');
  try {
    const before = await runStats();
    await workload();
    const after = await runStats();
    return programs.map((prog) => {
      const a = after.get(prog.id) ?? { ns: 0, runs: 0 };
      const b = before.get(prog.id) ?? { ns: 0, runs: 0 };
      const runs = a.runs - b.runs;
      return { ...prog, runs, nsPerRun: runs > 0 ? (a.ns - b.ns) / runs : NaN };
    });
  } finally {
    writeFileSync(STATS_SYSCTL, previous);
  }
}
