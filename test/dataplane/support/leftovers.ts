/**
 * What a dataplane test made and must leave nothing of: its namespaces (by prefix; their links go
 * with them), pin directories and processes. childPids() finds the processes a process started
 * (the loader helper under the agent or under jest) so a test can check they are gone too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { listNetns } from '../../../src/devtools/lab/netns';

/** Running (a zombie waiting for its parent to reap it counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Waits until every pid has exited (a helper ends on its own once its parent is gone: stdin
 * closes); after `deadlineMs` the rest are killed, so nothing outlives the test.
 */
export async function untilGone(pids: readonly number[], deadlineMs = 5_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) {
      for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Live children of `parent` whose command name (comm) is `name`, if given. */
export function childPids(parent: number, name?: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent && (name === undefined || comm === name)) found.push(Number(entry));
  }
  return found;
}

/** Whatever of `made` is still there, described; [] when clean. */
export async function leftovers(made: {
  netnsPrefix: string;
  pinDirs: readonly string[];
  pids: readonly number[];
  /** Other directories it made (a lab's work directory). */
  dirs?: readonly string[];
}): Promise<string[]> {
  return [
    ...(await listNetns(made.netnsPrefix)).map((name) => `namespace ${name}`),
    ...made.pinDirs.filter((dir) => existsSync(dir)).map((dir) => `pin directory ${dir}`),
    ...made.pids.filter(isAlive).map((pid) => `process ${pid}`),
    ...(made.dirs ?? []).filter((dir) => existsSync(dir)).map((dir) => `directory ${dir}`),
  ];
}
