#!/usr/bin/env node
/** The process edge of the CLI: argv in, exit code out. Everything else is in main.ts. */
import { runCli } from './main';
import { backPressuredWriter } from './stdout-writer';

// A reader that stops early (`netpol matrix ... | head`) is not an error: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  writeStdout: backPressuredWriter(process.stdout),
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`netpol: internal error: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
