/** The CLI run in-process the way the tests drive it: its exit status and everything it wrote. */
import type { CliIo } from '../../src/cli/cli-io';
import { runCli } from '../../src/cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `netpol argv...` with `io` (the environment, a stdout writer) and collects its output. */
export async function runCliCaptured(argv: readonly string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...argv], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    ...io,
  });
  return { code, stdout, stderr };
}
