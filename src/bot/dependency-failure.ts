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
 * `target` with each method's failure (thrown or rejected) rethrown as a DependencyFailure of
 * `dependency`, operation `<name>.<method>`. Values other than methods pass through unchanged.
 */
export function namingFailures<T extends object>(target: T, dependency: Dependency, name: string): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      const operation = `${name}.${String(property)}`;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => unknown).apply(object, args);
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
