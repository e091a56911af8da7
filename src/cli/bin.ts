/**
 * The process edge of the CLI: argv in, exit code out. Everything else is in main.ts. Run directly
 * (the tsc build), it runs the command line; bundled (cli.js), src/cli/launcher.ts calls runProcess.
 */
import { runCli } from './main';
import { backPressuredWriter } from './stdout-writer';

export async function runProcess(argv: string[]): Promise<number> {
  // A reader that stops early (`netpol matrix ... | head`) is not an error: stop quietly.
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(process.exitCode ?? 0);
    });
  }
  let code: number;
  try {
    code = await runCli(argv, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      writeStdout: backPressuredWriter(process.stdout),
      env: process.env,
    });
  } catch (error) {
    process.stderr.write(`netpol: internal error: ${String(error)}\n`);
    code = 1;
  }
  process.exitCode = code;
  return code;
}

if (require.main === module) void runProcess(process.argv.slice(2));
