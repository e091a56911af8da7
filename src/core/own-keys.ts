/**
 * Plain objects keyed by user or cluster data (labels, annotations, selectors, namespaces in the
 * config), made safe from the names every object inherits. On a `{}`, `obj['constructor']` is a
 * function and `obj['__proto__'] = 'x'` is silently ignored; so these records are built with a null
 * prototype (`__proto__` is then an ordinary key) and read through own-property checks, which also
 * keeps records built elsewhere (JSON.parse, `{ ...spread }`, the Kubernetes client) safe to read.
 * They stay plain objects so that their JSON and YAML stay exactly what the API serves.
 */

/** An empty record with no prototype: every key, `__proto__` included, is an ordinary key. */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A null-prototype record of these entries (a later entry with the same key wins). */
export function recordOf<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const out = emptyRecord<T>();
  for (const [key, value] of entries) out[key] = value;
  return out;
}

/** A null-prototype copy of `record`'s own entries, with `extra` entries after them. */
export function copyRecord<T>(
  record: Readonly<Record<string, T>>,
  ...extra: (readonly [string, T])[]
): Record<string, T> {
  return recordOf([...Object.entries(record), ...extra]);
}

/** The value stored under `key` itself, never one inherited from Object.prototype. */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
