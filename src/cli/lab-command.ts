/**
 * `netpol lab ...`: the lab lives in src/devtools/lab/ (it runs the stand-in and the agents, which
 * the CLI may not import), so this command runs its entry point as a child process with the same
 * arguments and terminal, and exits with its status. The entry is found from the repository root
 * (the directory above this file holding netpol's package.json, wherever this file was built to:
 * dist/src/cli/, the dist/cli/ bundle, or the source under ts-jest): dist/src/devtools/lab/main.js
 * when this CLI runs built, else the TypeScript source transpiled on load. Ctrl-C reaches the lab
 * (same process group) and SIGINT/SIGTERM sent to this process are passed on; the lab removes what
 * it made and exits, and this process exits with its status.
 */
import { spawn } from 'node:child_process';
import { NetpolError } from '../core/errors';
import { entryCommand, findRepoRoot, OWN_FORM } from '../platform/entry-point';
import type { CliIo } from './cli-io';

export async function labCommand(argv: string[], io: CliIo): Promise<number> {
  const repoRoot = findRepoRoot(__dirname);
  if (repoRoot === null) {
    throw new NetpolError(
      'E_USAGE',
      'netpol lab runs from a netpol checkout (no package.json named netpol above the CLI)',
    );
  }
  let command;
  try {
    command = entryCommand(repoRoot, 'devtools/lab/main', { prefer: OWN_FORM, callMain: true, args: argv });
  } catch (err) {
    throw new NetpolError('E_USAGE', `netpol lab is not in this build: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const child = spawn(process.execPath, command.args, {
    env: { ...process.env, ...io.env, ...command.env },
    stdio: ['inherit', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => io.stdout(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => io.stderr(chunk.toString('utf8')));
  // The lab removes what it made on its first signal and ignores the rest.
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 130)));
    });
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}
