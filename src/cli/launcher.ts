#!/usr/bin/env node
/**
 * The `netpol` command as installed (dist/cli/netpol.js, scripts/build-cli.mjs): starts the bundled
 * CLI beside it (cli.js) from V8's code cache, so a run skips compiling the functions it calls.
 *
 * Why: `netpol matrix` and `netpol parse` are short runs measured against `node -e 0` (issue 8), and
 * node compiles every function of the bundle on its first call. The build runs the CLI once over
 * the commands that count and keeps the bytecode V8 compiled for them (createCachedData after they
 * ran, so it holds the lazily compiled functions too, not only the top level) in a file named after
 * the bundle's content hash; reading it back costs a fraction of compiling. Node 20 has no
 * module.enableCompileCache, and v8-compile-cache caches only what is compiled before a module
 * runs (its top level), writes into the temp dir at run time and hashes the source on every start.
 *
 * A missing cache, or one V8 rejects (another node version, other V8 flags such as
 * NODE_V8_COVERAGE's), only means compiling as usual: the answers never depend on it. Nothing is
 * written at run time.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

/** What cli.js (src/cli/bin.ts) exports. */
interface CliEntry {
  runProcess(argv: string[]): Promise<number>;
}

/** The bundled CLI's file, beside this one. */
export const CLI_FILE = 'cli.js';

/** Set by the build (esbuild `define`): the hash of the cli.js bundled with this file. */
declare const NETPOL_CLI_HASH: string | undefined;

/**
 * The code cache's file, beside this one, named after the cli.js it was made from: V8 itself checks
 * only the source's length, so a cache must never meet another bundle. Undefined when not bundled.
 */
export const CACHE_FILE: string | undefined =
  typeof NETPOL_CLI_HASH === 'string' ? `cli-${NETPOL_CLI_HASH}.v8-cache` : undefined;

/** Compiles and runs cli.js as node would (a CommonJS module), with V8's cache when given one. */
export function loadCli(dir: string, cachedData: Buffer | undefined): { script: Script; cli: CliEntry } {
  const filename = join(dir, CLI_FILE);
  // Wrapped as node wraps a CommonJS module, on the first line so that line numbers hold.
  const source = readFileSync(filename, 'utf8');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename,
    cachedData,
  });
  const module = { exports: {} as CliEntry };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    createRequire(filename),
    module,
    filename,
    dir,
  );
  return { script, cli: module.exports };
}

function readCache(dir: string): Buffer | undefined {
  if (CACHE_FILE === undefined) return undefined;
  try {
    return readFileSync(join(dir, CACHE_FILE));
  } catch {
    return undefined; // not built (or removed): compile as usual
  }
}

if (require.main === module) {
  void loadCli(__dirname, readCache(__dirname)).cli.runProcess(process.argv.slice(2));
}
