/**
 * Reads a cluster state file from disk and parses it with the core's state reader. The only file
 * I/O of the state path: the core stays pure, and every caller (the CLI, the stand-in, benches) gets
 * the same E_STATE message for a file that cannot be read.
 */
import { readFile } from 'node:fs/promises';
import { NetpolError } from '../../core/errors';
import type { ClusterState } from '../../core/state/cluster-state';
import { parseState } from '../../core/state/load-state';

export async function loadStateFile(path: string): Promise<ClusterState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new NetpolError('E_STATE', `cannot read state file ${path}: ${reason}`, { cause: error });
  }
  return parseState(text, path);
}
