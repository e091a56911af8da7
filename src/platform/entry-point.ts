/**
 * How the lab runs one of netpol's programs as a child process, from a built tree or a checkout:
 * `node dist/src/<entry>.js`, or the source itself with TypeScript transpiled on load (typescript's
 * transpileModule behind a require hook, no type check), the way test/dataplane runs the agent.
 * The caller says which it prefers (what runs from dist/ starts dist/, what runs from source starts
 * source, so a stale dist/ is never mixed with fresh sources); the other is the fallback when the
 * preferred file is missing. The repository root is
 * found by walking up from a directory to the package.json named "netpol", so the answer does not
 * depend on where the caller was built to (dist/src/..., an esbuild bundle in dist/cli/, ts-jest).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The directory holding netpol's package.json, at or above `from`; null when there is none. */
export function findRepoRoot(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'netpol') return dir;
      } catch {
        // not ours: keep walking up
      }
    }
    if (dirname(dir) === dir) return null;
  }
}

/** How this very module runs: from dist/ (.js) or from source (.ts, ts-jest or transpiled). */
export const OWN_FORM: 'built' | 'source' = __filename.endsWith('.ts') ? 'source' : 'built';

/**
 * Requires the entry with a .ts hook; with NETPOL_ENTRY_CALL_MAIN=1 calls its main(argv) and exits
 * with the number it resolves to (a main resolving to nothing keeps running, like the agent's).
 */
const TRANSPILE_AND_RUN = String.raw`
const ts = require('typescript');
const fs = require('node:fs');
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
const entry = require(process.env.NETPOL_ENTRY_POINT);
if (process.env.NETPOL_ENTRY_CALL_MAIN === '1') {
  Promise.resolve(entry.main(process.argv.slice(1))).then((code) => {
    if (typeof code === 'number') process.exit(code);
  });
}
`;

export interface EntryCommand {
  /** Arguments for process.execPath. */
  readonly args: string[];
  /** Environment to add. */
  readonly env: Record<string, string>;
  /** Which form runs: "built" (dist/) or "source" (transpiled on load). */
  readonly form: 'built' | 'source';
}

/**
 * The command that runs `entry` (a path under src/ without extension, e.g. "agent/main").
 * `callMain`: the transpiled form calls the module's main(argv) (a built file runs itself).
 */
export function entryCommand(
  repoRoot: string,
  entry: string,
  options: { prefer: 'built' | 'source'; callMain: boolean; args?: readonly string[] },
): EntryCommand {
  const built = join(repoRoot, 'dist', 'src', `${entry}.js`);
  const source = join(repoRoot, 'src', `${entry}.ts`);
  const args = options.args ?? [];
  const useBuilt = existsSync(built) && (options.prefer === 'built' || !existsSync(source));
  if (useBuilt) return { args: [built, ...args], env: {}, form: 'built' };
  if (!existsSync(source)) throw new Error(`neither ${built} nor ${source} exists`);
  return {
    args: ['--no-warnings', '-e', TRANSPILE_AND_RUN, ...args],
    env: { NETPOL_ENTRY_POINT: source, NETPOL_ENTRY_CALL_MAIN: options.callMain ? '1' : '0' },
    form: 'source',
  };
}
