/**
 * The node agent (src/agent/main.ts) as a child process, for tests that kill it with SIGKILL: the
 * TypeScript is transpiled on load (typescript's transpileModule behind a require hook, no type
 * check: jest's ts-jest and `npm run typecheck` do that), so no build of dist/ is needed. Output
 * lines are kept for a failing test to print. stop() is SIGKILL and waits for the exit.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { REPO_ROOT } from './dataplane-prerequisites';

const AGENT_MAIN = join(REPO_ROOT, 'src', 'agent', 'main.ts');

const REGISTER_AND_RUN = String.raw`
const ts = require('typescript');
const fs = require('node:fs');
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
require(process.env.NETPOL_TEST_AGENT_MAIN).main();
`;

export class AgentProcess {
  readonly lines: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcessByStdio<null, Readable, Readable>) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line);
        if (this.lines.length > 5_000) this.lines.shift();
      });
    }
  }

  static start(env: Record<string, string>): AgentProcess {
    const child = spawn(process.execPath, ['--no-warnings', '-e', REGISTER_AND_RUN], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NETPOL_TEST_AGENT_MAIN: AGENT_MAIN, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AgentProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no shutdown code runs, as when the node's OOM killer or a crash ends it. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}
