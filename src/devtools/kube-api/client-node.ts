/**
 * Loads @kubernetes/client-node for tests, failing with what to do instead of jest's bare
 * "Must use import to load ES Module". client-node is an ES module (as are its openid-client,
 * oauth4webapi and jose): Node 20 can require it, but jest's own module loader cannot, unless jest
 * compiles those packages to CommonJS (a `^.+\\.js$` transform plus a `transformIgnorePatterns`
 * that lets them through) or runs on Node >= 24.9 with `--experimental-vm-modules`.
 */
import type * as ClientNode from '@kubernetes/client-node';

export type ClientNodeModule = typeof ClientNode;

export function loadClientNode(): ClientNodeModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@kubernetes/client-node') as ClientNodeModule;
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(
      `@kubernetes/client-node could not be loaded on Node ${process.version} (${why}). ` +
        'Under jest it needs its ES modules compiled to CommonJS: in jest.config.js, transform ' +
        "'^.+\\.js$' with ts-jest (tsconfig { allowJs: true }) and set transformIgnorePatterns to " +
        "['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'].",
      { cause: error },
    );
  }
}
