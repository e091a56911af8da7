/**
 * A Logger for Bolt and WebClient (the @slack/logger interface) that keeps entries in memory instead of
 * printing them, so tests stay quiet and can assert on what Slack's libraries reported (e.g. the
 * "Will retry in N seconds" line WebClient logs on a 429, or a signature failure in the receiver).
 *
 * Entries are kept at every level whatever setLevel says: Bolt calls setLevel itself, and a test
 * asking about a debug line should not depend on it.
 */
// @slack/web-api re-exports @slack/logger, the one copy Bolt uses too; importing it instead of
// @slack/bolt keeps this usable where Bolt itself cannot load (see bolt-http-receiver.test.ts).
import { Logger, LogLevel } from '@slack/web-api';

export interface LogEntry {
  level: LogLevel;
  message: string;
}

export interface CapturingLogger extends Logger {
  readonly entries: LogEntry[];
  /** Entries whose message contains `text`, at any or the given level. */
  find(text: string, level?: LogLevel): LogEntry[];
}

export function createCapturingLogger(): CapturingLogger {
  const entries: LogEntry[] = [];
  let level = LogLevel.DEBUG;
  const record =
    (at: LogLevel) =>
    (...msg: unknown[]): void => {
      entries.push({
        level: at,
        message: msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' '),
      });
    };
  return {
    entries,
    find: (text, at) =>
      entries.filter((e) => e.message.includes(text) && (at === undefined || e.level === at)),
    debug: record(LogLevel.DEBUG),
    info: record(LogLevel.INFO),
    warn: record(LogLevel.WARN),
    error: record(LogLevel.ERROR),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
