/**
 * Bundles the netpol CLI (src/cli/bin.ts) into dist/cli/netpol.js, the package's `bin`, and the
 * `yaml` library into dist/cli/yaml.js beside it.
 *
 * Why: a tsc build makes node resolve, read and compile ~35 small modules before `netpol parse`
 * prints anything; one file cuts the start-up to close to `node -e 0` (issue 8). The services keep
 * the plain tsc build: they start once and live long.
 *
 * Why two files: node compiles a whole file before running any of it, and `yaml` is half of the
 * bundle. Inside netpol.js it would be compiled on every run, `--output json` included; from
 * node_modules it would cost ~70 module loads whenever YAML is read or written. In a file of its
 * own it costs one load, only then. Every `yaml` import in src/ resolves to that one file, so there
 * is one copy of the library (its node classes are compared by identity).
 *
 * Lazy stays lazy: esbuild wraps every module reached through `require()` or `import()` in an
 * init function that runs on first call, so `yaml` (src/core/yaml-library.ts) and the per-command
 * modules (src/cli/main.ts) are still evaluated only by the commands that use them.
 * test/cli/bundle-lazy-yaml.test.ts pins that for `parse --output json`.
 *
 * Type checking stays tsc's job (`npm run typecheck`): esbuild only strips the types.
 *
 * Usage: node scripts/build-cli.mjs [--outdir DIR] [--metafile]
 *   --outdir   somewhere else than dist/cli (the tests bundle into a temporary directory)
 *   --metafile print what went into each file, largest first
 */
import { chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { analyzeMetafile, build } from 'esbuild';

const { values: options } = parseArgs({
  options: { outdir: { type: 'string' }, metafile: { type: 'boolean', default: false } },
});
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = options.outdir === undefined ? join(root, 'dist', 'cli') : resolve(options.outdir);
const YAML_FILE = 'yaml.js';

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // Minifying measured no faster to start (V8 compiles function bodies lazily); unminified keeps
  // stack traces readable without --enable-source-maps.
  minify: false,
  metafile: options.metafile,
  logLevel: 'warning',
};

/** `import ... from 'yaml'` anywhere in the CLI becomes `require('./yaml.js')`, next to netpol.js. */
const yamlBesideCli = {
  name: 'yaml-beside-cli',
  setup(build) {
    build.onResolve({ filter: /^yaml$/ }, () => ({ path: `./${YAML_FILE}`, external: true }));
  },
};

const cli = join(outdir, 'netpol.js');
const results = await Promise.all([
  build({
    ...common,
    entryPoints: ['src/cli/bin.ts'],
    outfile: cli,
    tsconfig: 'tsconfig.build.json',
    plugins: [yamlBesideCli],
  }),
  build({ ...common, entryPoints: ['yaml'], outfile: join(outdir, YAML_FILE) }),
]);

// The shebang comes through from bin.ts; npm link sets the mode too, a direct ./dist/cli/netpol.js needs it.
chmodSync(cli, 0o755);

for (const result of results) {
  if (result.metafile !== undefined) process.stdout.write(await analyzeMetafile(result.metafile));
}
