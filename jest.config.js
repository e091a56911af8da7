/**
 * ts-jest for our TypeScript. @kubernetes/client-node 1.x and its openid-client, oauth4webapi and
 * jose are ES modules, and so is @hpcc-js/wasm-graphviz (the flow graph's layout, issue 10): Node 20
 * can require them, jest's module loader cannot, so jest compiles
 * those packages to CommonJS (transpile only) and leaves the rest of node_modules alone.
 * @type {import('jest').Config}
 */
const ESM_PACKAGES = [
  '@kubernetes/client-node',
  'openid-client',
  'oauth4webapi',
  'jose',
  '@hpcc-js/wasm-graphviz',
];

module.exports = {
  testEnvironment: 'node',
  // Integration tests wait for observable conditions with their own deadlines (up to 30 s); jest's
  // 5 s default would cut those short on a loaded machine and turn a slow pass into a failure.
  testTimeout: 45_000,
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    '^.+\\.m?js$': [
      'ts-jest',
      {
        isolatedModules: true,
        tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};
