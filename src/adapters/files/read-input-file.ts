/**
 * Reading a file a person named on the command line (a state file, an observed-flows file): its text,
 * or a NetpolError with the code of that kind of file saying which file and why (`no such file`
 * rather than node's ENOENT sentence).
 */
import { readFile } from 'node:fs/promises';
import { NetpolError, type ErrorCode } from '../../core/errors';

/** `what`: how the message names the file (`state file`, `flows file`). */
export async function readInputFile(path: string, code: ErrorCode, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new NetpolError(code, `cannot read ${what} ${path}: ${reason}`, { cause: error });
  }
}
