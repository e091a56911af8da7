/**
 * What every dataplane test needs before its first packet: root, bpffs mounted (through
 * scripts/lib/ensure-deps.sh's ensure_bpffs), and the built objects (`make -C bpf` when missing or
 * older than their sources). Anything missing FAILS the test file with the reason: these tests
 * never skip silently, in CI or elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const BPF_DIR = join(REPO_ROOT, 'bpf');
export const OBJECT_PATH = join(BPF_DIR, 'build', 'netpol.bpf.o');
export const LOADER_PATH = join(BPF_DIR, 'build', 'netpol-loader');

export function ensureBuilt(): void {
  const sources = ['netpol.bpf.c', 'netpol_abi.h', 'loader/netpol-loader.c', 'Makefile'].map((file) =>
    join(BPF_DIR, file),
  );
  const newest = Math.max(...sources.map((file) => statSync(file).mtimeMs));
  const stale = [OBJECT_PATH, LOADER_PATH].some(
    (file) => !existsSync(file) || statSync(file).mtimeMs < newest,
  );
  if (!stale) return;
  try {
    execFileSync('make', ['-C', BPF_DIR, '--no-print-directory'], { stdio: 'pipe' });
  } catch (err) {
    const output = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(
      `cannot build bpf/ (clang, llvm, libbpf-dev and make are needed; scripts/test.sh installs them):\n${output}`,
      { cause: err },
    );
  }
}

export function ensureDataplanePrerequisites(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the dataplane tests need root (network namespaces, eBPF, bpffs): run them as root, e.g. via scripts/test.sh in CI',
    );
  }
  try {
    execFileSync('bash', ['-c', 'source scripts/lib/ensure-deps.sh && ensure_bpffs'], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
    });
  } catch (err) {
    throw new Error(`bpffs is not mounted at /sys/fs/bpf and could not be mounted`, { cause: err });
  }
  ensureBuilt();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes namespaces and pin directories that an earlier, killed run left behind: names
 * `np-dp-<pid>-...` whose pid is gone. Never touches anything else.
 */
export function sweepLeftovers(): void {
  const pattern = /^np-dp-(\d+)-/;
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '');
  for (const name of namespaces) {
    const pid = pattern.exec(name)?.[1];
    if (pid && !alive(Number(pid))) execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  }
  for (const entry of readdirSync('/sys/fs/bpf')) {
    const pid = pattern.exec(entry + '-')?.[1];
    if (pid && !alive(Number(pid))) rmSync(join('/sys/fs/bpf', entry), { recursive: true, force: true });
  }
}
