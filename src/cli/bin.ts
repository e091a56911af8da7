#!/usr/bin/env node
/** The process edge of the CLI: argv in, exit code out. Everything else is in main.ts. */
import { runCli } from './main';

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
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
