/** For tests: runs `fn` and returns the NetpolError it throws; anything else (or nothing) fails the test. */
import { NetpolError } from '../../src/core/errors';

export function netpolErrorOf(fn: () => unknown): NetpolError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NetpolError) return error;
    throw error;
  }
  throw new Error('expected a NetpolError');
}
