/**
 * Which outside dependency a handler's failure came from, so the person can be told what failed
 * (handler-failure.ts) rather than "something went wrong". BotService wraps its injected
 * dependencies once (`namingFailures`): anything one of their calls throws is rethrown as a
 * DependencyFailure naming the dependency and the call, with the original error as its cause.
 */

/** The dependencies a click or a command waits on. */
export type Dependency = 'redis' | 'slack-user-groups';

export class DependencyFailure extends Error {
  constructor(
    readonly dependency: Dependency,
    /** The call that failed, e.g. `drafts.take` or the user group's ID. */
    readonly operation: string,
    options: { cause: unknown },
  ) {
    super(`${dependency} failed (${operation})`, options);
    this.name = 'DependencyFailure';
  }
}

export function isDependencyFailure(value: unknown): value is DependencyFailure {
  return value instanceof DependencyFailure;
}

/**
 * A dependency that did not answer in time. Redis clients queue commands while they reconnect and
 * retry without limit (BullMQ needs that), so "Redis down" shows as a call that never returns; the
 * deadline turns it into an answer for the person. The call itself may still complete later.
 */
export class DeadlineExceeded extends Error {
  constructor(readonly deadlineMs: number) {
    super(`no answer within ${deadlineMs} ms`);
    this.name = 'DeadlineExceeded';
  }
}

export interface NamingFailuresOptions {
  /** Each call fails with DeadlineExceeded (as a DependencyFailure) after this long. Default: none. */
  deadlineMs?: number;
}

function withDeadline<R>(call: Promise<R>, deadlineMs: number | undefined): Promise<R> {
  if (deadlineMs === undefined) return call;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(deadlineMs)), deadlineMs);
  });
  return Promise.race([call, expired]).finally(() => clearTimeout(timer));
}

/**
 * `target` with each method's failure (thrown or rejected, or no answer within the deadline)
 * rethrown as a DependencyFailure of `dependency`, operation `<name>.<method>`. Values other than
 * methods pass through unchanged.
 */
export function namingFailures<T extends object>(
  target: T,
  dependency: Dependency,
  name: string,
  options: NamingFailuresOptions = {},
): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      const operation = `${name}.${String(property)}`;
      return async (...args: unknown[]) => {
        try {
          const call = Promise.resolve((value as (...a: unknown[]) => unknown).apply(object, args));
          return await withDeadline(call, options.deadlineMs);
        } catch (cause) {
          throw isDependencyFailure(cause) ? cause : new DependencyFailure(dependency, operation, { cause });
        }
      };
    },
  });
}

/** A group lookup whose failure names the group. */
export function namingGroupFailures(
  lookup: (groupId: string) => Promise<readonly string[]>,
): (groupId: string) => Promise<readonly string[]> {
  return async (groupId) => {
    try {
      return await lookup(groupId);
    } catch (cause) {
      throw new DependencyFailure('slack-user-groups', groupId, { cause });
    }
  };
}
