/**
 * Writes to a stream one chunk at a time: the promise resolves when the stream has written the
 * chunk (its write callback), so a producer that awaits each write holds at most one chunk in the
 * stream's buffer, and may reuse a chunk's bytes once its write resolved (the matrix's JSON does).
 * A failed write resolves too: the stream's 'error' event is where failures are handled (bin.ts
 * ends quietly on EPIPE, a reader that stopped early).
 */
import type { Writable } from 'node:stream';

export function backPressuredWriter(stream: Pick<Writable, 'write'>) {
  return (chunk: string | Uint8Array): Promise<void> =>
    new Promise((resolve) => {
      stream.write(chunk, () => resolve());
    });
}
