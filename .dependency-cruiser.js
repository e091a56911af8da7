/**
 * The layer rules of src/ (ARCHITECTURE.md), checked by dependency-cruiser in scripts/test.sh
 * (`npm run lint:layers`): a violation fails CI. Type-only imports count (tsPreCompilationDeps),
 * because a type import still ties one layer to another.
 *
 *   apps (bot, workers, agent, cli)  ->  adapters  ->  platform  ->  contracts  ->  core
 *   devtools (stand-ins, demo) may use every layer and the apps; only tests and benches use devtools.
 *
 * test/layers/layer-rules.test.ts runs these same rules over a throwaway tree that breaks each of
 * them, so a rule that stops firing fails the suite.
 */
const APPS = '(bot|workers|agent|cli)';
const NOT_A_TEST = '\\.test\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment:
        'src/core/ is pure: it imports only src/core/, the yaml library and node:crypto (hashing). ' +
        'I/O, Redis, Slack and the Kubernetes client belong in adapters/.',
      severity: 'error',
      from: { path: '^src/core/', pathNot: NOT_A_TEST },
      to: {
        pathNot: ['^src/core/', '^node_modules/yaml/', '^crypto$', '^node:crypto$'],
      },
    },
    {
      name: 'contracts-over-core-only',
      comment: 'src/contracts/ (what crosses processes) may use src/core/ and nothing else of ours.',
      severity: 'error',
      from: { path: '^src/contracts/', pathNot: NOT_A_TEST },
      to: { path: '^src/', pathNot: ['^src/contracts/', '^src/core/'] },
    },
    {
      name: 'platform-below-adapters',
      comment:
        'src/platform/ (config, logger, lifecycle) may use core and contracts, never adapters or apps.',
      severity: 'error',
      from: { path: '^src/platform/', pathNot: NOT_A_TEST },
      to: { path: '^src/', pathNot: ['^src/platform/', '^src/contracts/', '^src/core/'] },
    },
    {
      name: 'adapters-never-import-apps',
      comment: 'src/adapters/ serve the apps; they never import an app or the dev tools.',
      severity: 'error',
      from: { path: '^src/adapters/', pathNot: NOT_A_TEST },
      to: { path: [`^src/${APPS}/`, '^src/devtools/'] },
    },
    {
      name: 'apps-never-import-apps',
      comment: 'bot, workers, agent and cli share layers, never each other.',
      severity: 'error',
      from: { path: `^src/${APPS}/` },
      to: { path: `^src/${APPS}/`, pathNot: '^src/$1/' },
    },
    {
      name: 'only-tests-use-devtools',
      comment: 'The stand-ins and the demo live in src/devtools/; production code never imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/devtools/', NOT_A_TEST] },
      to: { path: '^src/devtools/' },
    },
    {
      name: 'src-never-imports-test-or-bench',
      comment: 'Nothing under src/ (tests beside the code aside) imports test/ or bench/.',
      severity: 'error',
      from: { path: '^src/', pathNot: NOT_A_TEST },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle between modules makes two of them one; split what they share instead.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
