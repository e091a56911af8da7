/**
 * Loads @kubernetes/client-node for tests, failing with what to do instead of jest's bare
 * "Must use import to load ES Module". client-node 2.x is an ES module built on undici 8: it needs
 * Node >= 22.19 to load at all, and jest can only `require` it on Node >= 24.9 started with
 * `--experimental-vm-modules` (jest's native require(esm) support).
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
        'It needs Node >= 22.19 (undici 8), and under jest Node >= 24.9 run as ' +
        '`node --experimental-vm-modules node_modules/.bin/jest`.',
      { cause: error },
    );
  }
}
