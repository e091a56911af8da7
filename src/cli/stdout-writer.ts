/**
 * Writes to a stream with back-pressure: the promise resolves at once while the stream buffers
 * less than its high-water mark, else on 'drain' (and rejects if the stream errors meanwhile), so a
 * producer that awaits each write never holds more than one chunk beyond the stream's buffer.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export function backPressuredWriter(stream: Pick<Writable, 'write'> & NodeJS.EventEmitter) {
  return async (text: string): Promise<void> => {
    if (!stream.write(text)) await once(stream, 'drain');
  };
}
