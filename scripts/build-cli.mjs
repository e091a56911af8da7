/**
 * Bundles the netpol CLI into dist/cli: netpol.js, the package's `bin` (src/cli/launcher.ts), which
 * starts cli.js (src/cli/bin.ts and everything it imports) from a V8 code cache made here
 * (cli-<hash>.v8-cache), and the `yaml` library in yaml.js beside them.
 *
 * Why a bundle: a tsc build makes node resolve, read and compile ~35 small modules before `netpol
 * parse` prints anything; one file cuts the start-up to close to `node -e 0` (issue 8). The services
 * keep the plain tsc build: they start once and live long.
 *
 * Why libraries in files of their own: node reads and scans a whole file before running any of it.
 * `yaml` is half of the CLI's own code, and @kubernetes/client-node (live-cluster reading) 25 times
 * it: inside cli.js they would be read and scanned on every run, `matrix --state F --output json`
 * included; from node_modules yaml would cost ~70 module loads whenever YAML is read or written,
 * and client-node is ES modules only. In a file of its own each costs one load, only when used
 * (yaml.js, kube-client.js, minified: nobody reads its stack traces). Every import of the library
 * in src/ resolves to that one file, so there is one copy of it (classes compared by identity).
 *
 * Why a code cache: node compiles each function of cli.js on its first call, a good part of a short
 * run. After bundling, this script runs cli.js (in a child node) over the commands whose start-up
 * counts, `parse --output json` and `matrix --output json` on a small JSON state, then saves the
 * bytecode V8 compiled for them (vm.Script#createCachedData); the launcher hands it back to V8 when
 * it compiles cli.js. The file is named after cli.js's hash, so it never meets another bundle; a
 * node with another V8 rejects it and compiles as usual (launcher.ts says more).
 *
 * Graph libraries stay outside: `netpol graph`'s Graphviz (WebAssembly) and resvg (native addon)
 * are left to node_modules, resolved at run time by the graph command alone (GRAPH_LIBRARIES);
 * test/cli/graph-bundle.test.ts runs `netpol graph` from a bundle and checks parse never loads them.
 *
 * Lazy stays lazy: esbuild wraps every module reached through `require()` or `import()` in an
 * init function that runs on first call, so `yaml` (src/core/yaml-library.ts) and the per-command
 * modules (src/cli/main.ts) are still evaluated only by the commands that use them.
 * test/cli/bundle-lazy-yaml.test.ts pins that for `parse --output json`.
 *
 * Type checking stays tsc's job (`npm run typecheck`): esbuild only strips the types.
 *
 * Usage: node scripts/build-cli.mjs [--outdir DIR] [--metafile] [--no-code-cache]
 *   --outdir         somewhere else than dist/cli (the tests bundle into a temporary directory)
 *   --metafile       print what went into each file, largest first
 *   --no-code-cache  skip the code cache (the CLI then compiles as it runs)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { analyzeMetafile, build } from 'esbuild';
import { parseAllDocuments } from 'yaml';

const { values: options } = parseArgs({
  options: {
    outdir: { type: 'string' },
    metafile: { type: 'boolean', default: false },
    'no-code-cache': { type: 'boolean', default: false },
    // Internal: the child that runs the CLI to fill the code cache (see trainCodeCache).
    'train-code-cache': { type: 'string' },
  },
});
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

if (options['train-code-cache'] !== undefined) {
  await trainCodeCache(options['train-code-cache']);
  process.exit(0);
}

const outdir = options.outdir === undefined ? join(root, 'dist', 'cli') : resolve(options.outdir);
const CLI_FILE = 'cli.js';
/**
 * Libraries bundled into files of their own beside cli.js, loaded on first use. `used` collects the
 * import paths cli.js asks of each (a deep path too: `@kubernetes/client-node/dist/serializer.js`).
 */
const LIBRARIES = [
  { name: 'yaml', file: 'yaml.js', minify: false, used: new Set() },
  { name: '@kubernetes/client-node', file: 'kube-client.js', minify: true, used: new Set() },
  // `netpol status` alone reads Redis and BullMQ's queue counts (bullmq.js carries its own ioredis,
  // which it only uses through the connection it is handed: duck-typed, so one copy is in play).
  { name: 'ioredis', file: 'redis.js', minify: true, used: new Set() },
  { name: 'bullmq', file: 'bullmq.js', minify: true, used: new Set() },
  // The configuration schema (platform/config/schema.ts) is read only with a configuration file
  // (`parse --config`, `status`): ~900 KB that every other command would read and compile.
  { name: 'zod', file: 'zod.js', minify: true, used: new Set() },
];

/**
 * `netpol graph`'s renderers (issue 10) stay in node_modules, resolved when the command runs: Graphviz
 * is a WebAssembly module inlined in an 800 KB ES module, resvg a native addon picked per platform by
 * its optional dependencies; neither can be bundled into a file, and `parse` must not even read them.
 * adapters/graph/render-png.ts imports them with `import()` on first use.
 */
const GRAPH_LIBRARIES = ['@hpcc-js/wasm-graphviz', '@resvg/resvg-js'];

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Minifying measured no faster to start (V8 compiles function bodies lazily); unminified keeps
  // stack traces readable without --enable-source-maps.
  minify: false,
  metafile: options.metafile,
  logLevel: 'warning',
};

/** `import ... from 'yaml'` anywhere in the CLI becomes `require('./yaml.js')`, next to cli.js; and so on. */
const librariesBesideCli = {
  name: 'libraries-beside-cli',
  setup(build) {
    for (const library of LIBRARIES) {
      const filter = new RegExp(`^${library.name.replace(/[/.]/g, '\\$&')}(/.*)?$`);
      build.onResolve({ filter }, (args) => {
        library.used.add(args.path);
        return { path: `./${library.file}`, external: true };
      });
    }
  },
};

const results = [
  await build({
    ...common,
    sourcemap: true,
    entryPoints: ['src/cli/bin.ts'],
    outfile: join(outdir, CLI_FILE),
    tsconfig: 'tsconfig.build.json',
    plugins: [librariesBesideCli],
    external: GRAPH_LIBRARIES,
    // The launcher runs cli.js as a vm.Script (for its code cache), where `import()` has no module
    // loader behind it (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING): an external library is required
    // instead (Node 20 requires ES modules like Graphviz's); bundled modules are unaffected.
    supported: { 'dynamic-import': false },
  }),
];
for (const library of LIBRARIES) {
  const outfile = join(outdir, library.file);
  rmSync(outfile, { force: true });
  rmSync(`${outfile}.map`, { force: true });
  if (library.used.size === 0) continue;
  const paths = [...library.used].sort();
  // The library's own entry when that is all cli.js asks for (its default export included), else
  // one module re-exporting every path asked for.
  const entry =
    paths.length === 1 && paths[0] === library.name
      ? { entryPoints: [library.name] }
      : {
          stdin: {
            contents: paths.map((path) => `export * from ${JSON.stringify(path)};`).join('\n'),
            resolveDir: root,
            sourcefile: library.file,
          },
        };
  results.push(
    await build({ ...common, ...entry, minify: library.minify, sourcemap: !library.minify, outfile }),
  );
}

const hash = createHash('sha256')
  .update(readFileSync(join(outdir, CLI_FILE)))
  .digest('hex')
  .slice(0, 16);
const launcher = join(outdir, 'netpol.js');
results.push(
  await build({
    ...common,
    entryPoints: ['src/cli/launcher.ts'],
    outfile: launcher,
    tsconfig: 'tsconfig.build.json',
    define: { NETPOL_CLI_HASH: JSON.stringify(hash) },
  }),
);
// The shebang comes through from launcher.ts; npm link sets the mode too, a direct ./dist/cli/netpol.js needs it.
chmodSync(launcher, 0o755);

// Caches of earlier bundles (and the old single-file bundle's map) are dead weight now.
for (const file of readdirSync(outdir)) {
  if (/^cli-[0-9a-f]+\.v8-cache$/.test(file) || file === 'netpol.js.map') rmSync(join(outdir, file));
}
if (!options['no-code-cache']) {
  const trained = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--train-code-cache', outdir],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (trained.status !== 0) {
    throw new Error(`filling the CLI's code cache failed: ${trained.stderr}${trained.error ?? ''}`);
  }
}

for (const result of results) {
  if (result.metafile !== undefined) process.stdout.write(await analyzeMetafile(result.metafile));
}

/**
 * In a child of its own (V8 flags as a plain `node` has them): loads cli.js exactly as the launcher
 * does, runs the commands whose start-up counts (their output goes nowhere), and saves what V8
 * compiled meanwhile.
 */
async function trainCodeCache(dir) {
  const { CACHE_FILE, loadCli } = createRequire(import.meta.url)(join(dir, 'netpol.js'));
  const { script, cli } = loadCli(dir, undefined);
  const work = mkdtempSync(join(tmpdir(), 'netpol-code-cache-'));
  try {
    // The JSON state files are read by a path of their own (JSON.parse), so train on JSON.
    const items = parseAllDocuments(readFileSync(join(root, 'examples', 'reference-cluster.yaml'), 'utf8'))
      .map((doc) => doc.toJS())
      .filter((item) => item !== null);
    const state = join(work, 'state.json');
    writeFileSync(state, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2));
    for (const argv of [
      ['parse', 'allow frontend nginx to backend', '--output', 'json'],
      ['matrix', '--state', state, '--port', '80', '--protocol', 'TCP', '--output', 'json'],
    ]) {
      const code = await cli.runProcess(argv);
      if (code !== 0) throw new Error(`netpol ${argv.join(' ')} exited ${code}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  writeFileSync(join(dir, CACHE_FILE), script.createCachedData());
}
