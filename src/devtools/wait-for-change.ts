/**
 * How a stand-in lets a test wait for what it records, without sleeping: `probe` is evaluated now
 * and on every 'change' the stand-in emits; the promise settles with the first defined value,
 * rejects if the stand-in emits 'close' first, and rejects after `timeoutMs` with `describe()`'s
 * account of what the stand-in saw, so a timeout says why.
 */
import type { EventEmitter } from 'node:events';

export interface WaitForChangeOptions<T> {
  events: EventEmitter;
  probe: () => T | undefined;
  timeoutMs: number;
  /** What is awaited, for messages: "a matching ephemeral message". */
  what: string;
  /** Who is waited on, for messages: "Socket Mode stand-in". */
  source: string;
  /** What the source has seen so far, appended to the timeout message. */
  describe: () => string;
}

export function waitForChange<T>(options: WaitForChangeOptions<T>): Promise<T> {
  const { events, probe, timeoutMs, what, source } = options;
  return new Promise<T>((resolve, reject) => {
    const check = (): boolean => {
      const found = probe();
      if (found === undefined) return false;
      cleanup();
      resolve(found);
      return true;
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`${source} closed while waiting for ${what}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${options.describe()}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      events.off('change', check);
      events.off('close', onClose);
    };
    if (check()) return;
    events.on('change', check);
    events.once('close', onClose);
  });
}
