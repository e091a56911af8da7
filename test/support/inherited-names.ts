/**
 * Every property name a plain object inherits (constructor, __proto__, toString, hasOwnProperty, ...):
 * the names that turn `obj[userWord]` into a function or a prototype instead of `undefined`. Tests
 * throw them as namespace names, label keys and values, and object names at every map keyed by user
 * or cluster data.
 */
export const INHERITED_NAMES: readonly string[] = [
  ...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__']),
].sort();

/** An object with exactly these own entries, `__proto__` included (a literal would set the prototype). */
export function ownEntries<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  return Object.fromEntries(entries) as Record<string, T>;
}
