/**
 * Reads a cluster state file from disk and parses it with the core's state reader. The only file
 * I/O of the state path: the core stays pure, and every caller (the CLI, the stand-in, benches) gets
 * the same E_STATE message for a file that cannot be read.
 */
import type { ClusterState } from '../../core/state/cluster-state';
import { parseState } from '../../core/state/load-state';
import { readInputFile } from './read-input-file';

export async function loadStateFile(path: string): Promise<ClusterState> {
  return parseState(await readInputFile(path, 'E_STATE', 'state file'), path);
}
