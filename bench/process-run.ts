/**
 * Runs a command as a child process for the scale benchmark and reports its wall time and peak RSS:
 * stdout to /dev/null, stderr kept for the failure message. Peak RSS comes from `/usr/bin/time -f
 * %M` when the machine has it (GNU time; kibibytes), otherwise from a preload that writes the
 * child's own process.resourceUsage().maxRSS on exit (node commands only). Synchronous: the
 * benchmark measures one thing at a time.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcessRun {
  wallMs: number;
  peakRssMiB: number | undefined;
  /** Undefined on success; else how it failed. */
  failure?: string;
}

const GNU_TIME = '/usr/bin/time';

export function hasGnuTime(): boolean {
  if (!existsSync(GNU_TIME)) return false;
  const probe = spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' });
  return probe.status === 0 && /^\d+\s*$/.test(probe.stderr);
}

export class ProcessRunner {
  private readonly gnuTime = hasGnuTime();
  private readonly rssFile: string;
  private readonly preload: string;

  constructor(private readonly tmpDir: string) {
    this.rssFile = join(tmpDir, 'max-rss');
    this.preload = join(tmpDir, 'report-max-rss.js');
    writeFileSync(
      this.preload,
      "process.on('exit', () => require('node:fs').writeFileSync(process.env.BENCH_MAX_RSS_FILE, " +
        'String(process.resourceUsage().maxRSS)));\n',
    );
  }

  /** How peak RSS is measured, for the report. */
  get rssMethod(): string {
    return this.gnuTime ? '/usr/bin/time -f %M' : 'process.resourceUsage().maxRSS (preloaded)';
  }

  /** Runs `node ...args`. */
  node(args: readonly string[], timeoutMs: number): ProcessRun {
    rmSync(this.rssFile, { force: true });
    const [command, argv] = this.gnuTime
      ? [GNU_TIME, ['-f', '%M', '-o', this.rssFile, process.execPath, ...args]]
      : [process.execPath, ['-r', this.preload, ...args]];
    const devNull = openSync('/dev/null', 'w');
    const start = process.hrtime.bigint();
    const result = spawnSync(command, argv, {
      stdio: ['ignore', devNull, 'pipe'],
      encoding: 'utf8',
      timeout: timeoutMs,
      env: { ...process.env, BENCH_MAX_RSS_FILE: this.rssFile },
    });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    closeSync(devNull);
    let peakRssMiB: number | undefined;
    try {
      const kib = Number(readFileSync(this.rssFile, 'utf8').trim().split('\n').pop());
      if (Number.isFinite(kib) && kib > 0) peakRssMiB = kib / 1024;
    } catch {
      peakRssMiB = undefined;
    }
    if (result.error !== undefined || result.status !== 0) {
      const how = result.signal ?? result.error?.message ?? `exit ${result.status}`;
      return { wallMs, peakRssMiB, failure: `${how}: ${result.stderr.slice(-200).trim()}` };
    }
    return { wallMs, peakRssMiB };
  }
}
