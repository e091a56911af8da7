/**
 * One node's real agent (src/agent/main) as a child process of the lab, in the root namespace
 * (it talks to the stand-in and Redis on 127.0.0.1) with NETPOL_NODE_NETNS naming its node's
 * namespace, which it enters only to find veths and attach programs. Run from dist/ or from
 * source as the lab itself runs (platform/entry-point.ts). Its output is kept (the last lines) for
 * an error message. stop() is SIGTERM, then SIGKILL after 5 s; the lab removes the pinned maps.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { entryCommand } from '../../platform/entry-point';

export class LabAgent {
  readonly lines: string[] = [];
  readonly pid: number;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcessByStdio<null, Readable, Readable>,
    readonly healthPort: number,
  ) {
    this.pid = child.pid ?? -1;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line);
        if (this.lines.length > 200) this.lines.shift();
      });
    }
  }

  static start(options: {
    repoRoot: string;
    form: 'built' | 'source';
    env: Record<string, string>;
    healthPort: number;
  }): LabAgent {
    const command = entryCommand(options.repoRoot, 'agent/main', { prefer: options.form, callMain: true });
    const child = spawn(process.execPath, command.args, {
      cwd: options.repoRoot,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...command.env,
        ...options.env,
        NETPOL_AGENT_HEALTH_HOST: '127.0.0.1',
        NETPOL_AGENT_HEALTH_PORT: String(options.healthPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new LabAgent(child, options.healthPort);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`http://127.0.0.1:${this.healthPort}/readyz`)).status === 200;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
