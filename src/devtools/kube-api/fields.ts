/**
 * Field ownership for server-side apply and `metadata.managedFields`, simplified.
 *
 * The real server tracks ownership per leaf field through structured-merge-diff and the OpenAPI
 * schema. Here a field is one of: a key of `metadata.labels` or `metadata.annotations`, or a top-level
 * field of any other section (`spec.podSelector`, `spec.ingress`, `spec.egress`, `spec.policyTypes`;
 * `spec.containers` for a pod). For NetworkPolicy this is close to the real thing, because ingress,
 * egress and policyTypes are atomic lists there; only podSelector is coarser (the real server owns
 * each matchLabels key apart). Conflicts, force, co-ownership of equal values, removal of fields an
 * applier stops applying, and `Update` managers taking fields they change all follow the real rules at
 * that granularity. Pure: the clock comes in as a timestamp.
 */

type Obj = Record<string, unknown>;

/** A path into an object: ['spec', 'ingress'] or ['metadata', 'labels', 'app.kubernetes.io/name']. */
export type FieldPath = string[];

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Obj;
}

const key = (path: FieldPath): string => JSON.stringify(path);
const unkey = (k: string): FieldPath => JSON.parse(k) as FieldPath;

/** `.spec.ingress`, as structured-merge-diff prints a path in conflict messages. */
export function printPath(path: FieldPath): string {
  return path.map((p) => `.${p}`).join('');
}

const UNTRACKED_METADATA = new Set([
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'managedFields',
  'selfLink',
]);

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The owned-field paths present in an object, at this module's granularity. */
export function fieldsOf(object: Obj): FieldPath[] {
  const paths: FieldPath[] = [];
  for (const [section, value] of Object.entries(object)) {
    if (section === 'apiVersion' || section === 'kind') continue;
    if (section === 'metadata') {
      if (!isObj(value)) continue;
      for (const [field, inner] of Object.entries(value)) {
        if (UNTRACKED_METADATA.has(field) || inner === undefined) continue;
        if ((field === 'labels' || field === 'annotations') && isObj(inner)) {
          for (const k of Object.keys(inner)) paths.push(['metadata', field, k]);
        } else {
          paths.push(['metadata', field]);
        }
      }
    } else if (isObj(value)) {
      for (const [field, inner] of Object.entries(value))
        if (inner !== undefined) paths.push([section, field]);
    } else if (value !== undefined) {
      paths.push([section]);
    }
  }
  return paths;
}

export function getAt(object: Obj, path: FieldPath): unknown {
  let current: unknown = object;
  for (const part of path) {
    if (!isObj(current)) return undefined;
    current = current[part];
  }
  return current;
}

export function setAt(object: Obj, path: FieldPath, value: unknown): void {
  let current = object;
  path.slice(0, -1).forEach((part) => {
    if (!isObj(current[part])) current[part] = {};
    current = current[part] as Obj;
  });
  const last = path[path.length - 1];
  if (last !== undefined) current[last] = value;
}

export function deleteAt(object: Obj, path: FieldPath): void {
  const parent = getAt(object, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isObj(parent) && last !== undefined) delete parent[last];
}

/** Structural equality with object keys compared as sets (JSON semantics). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** `{"f:spec":{"f:ingress":{}}}` from a set of paths. */
export function encodeFieldsV1(paths: FieldPath[]): Obj {
  const root: Obj = {};
  for (const path of paths) {
    let current = root;
    for (const part of path) {
      const k = `f:${part}`;
      if (!isObj(current[k])) current[k] = {};
      current = current[k] as Obj;
    }
  }
  return root;
}

export function decodeFieldsV1(fields: unknown, prefix: FieldPath = []): FieldPath[] {
  if (!isObj(fields)) return [];
  const paths: FieldPath[] = [];
  for (const [k, inner] of Object.entries(fields)) {
    if (!k.startsWith('f:')) continue;
    const path = [...prefix, k.slice(2)];
    const children = decodeFieldsV1(inner, path);
    if (children.length === 0) paths.push(path);
    else paths.push(...children);
  }
  return paths;
}

interface Owner {
  entry: ManagedFieldsEntry;
  fields: Set<string>;
}

function owners(entries: ManagedFieldsEntry[]): Owner[] {
  return entries.map((entry) => ({ entry, fields: new Set(decodeFieldsV1(entry.fieldsV1).map(key)) }));
}

function sortPaths(paths: Iterable<string>): FieldPath[] {
  return [...paths].sort().map(unkey);
}

function rebuild(list: Owner[]): ManagedFieldsEntry[] {
  return list
    .filter((o) => o.fields.size > 0)
    .map((o) => ({ ...o.entry, fieldsV1: encodeFieldsV1(sortPaths(o.fields)) }));
}

export interface ApplyConflictInfo {
  entry: ManagedFieldsEntry;
  path: FieldPath;
}

export interface ApplyInput {
  /** The live object, or undefined when the apply creates it. */
  live: Obj | undefined;
  /** The applied configuration as sent (decides which fields the applier owns). */
  applied: Obj;
  /** The applied configuration with the API's defaults, the values that are written and compared. */
  appliedDefaulted: Obj;
  manager: string;
  apiVersion: string;
  force: boolean;
  now: string;
}

export type ApplyResult =
  | { ok: true; object: Obj; managedFields: ManagedFieldsEntry[] }
  | { ok: false; conflicts: ApplyConflictInfo[] };

/** Merge an applied configuration into the live object under field ownership. */
export function applyFields(input: ApplyInput): ApplyResult {
  const live = input.live ?? {};
  const entries = ((getAt(live, ['metadata', 'managedFields']) ?? []) as ManagedFieldsEntry[]).map((e) => ({
    ...e,
  }));
  const list = owners(entries);
  const isMine = (o: Owner): boolean => o.entry.manager === input.manager && o.entry.operation === 'Apply';
  const appliedPaths = fieldsOf(input.applied);
  const applied = new Set(appliedPaths.map(key));

  const conflicts: ApplyConflictInfo[] = [];
  for (const path of appliedPaths) {
    const k = key(path);
    const same = deepEqual(getAt(live, path), getAt(input.appliedDefaulted, path));
    if (same) continue;
    for (const o of list) if (!isMine(o) && o.fields.has(k)) conflicts.push({ entry: o.entry, path });
  }
  if (conflicts.length > 0 && !input.force) return { ok: false, conflicts };
  for (const c of conflicts) for (const o of list) if (o.entry === c.entry) o.fields.delete(key(c.path));

  const object = structuredClone(live) as Obj;
  for (const path of appliedPaths) setAt(object, path, structuredClone(getAt(input.appliedDefaulted, path)));

  const mine = list.find(isMine);
  for (const k of mine?.fields ?? []) {
    if (applied.has(k)) continue;
    const ownedElsewhere = list.some((o) => !isMine(o) && o.fields.has(k));
    if (!ownedElsewhere) deleteAt(object, unkey(k));
  }
  const entry: ManagedFieldsEntry = {
    manager: input.manager,
    operation: 'Apply',
    apiVersion: input.apiVersion,
    time: input.now,
    fieldsType: 'FieldsV1',
    fieldsV1: {},
  };
  if (mine === undefined) list.push({ entry, fields: applied });
  else {
    mine.fields = applied;
    mine.entry = entry;
  }
  return { ok: true, object, managedFields: rebuild(list) };
}

export interface UpdateInput {
  live: Obj | undefined;
  updated: Obj;
  manager: string;
  apiVersion: string;
  now: string;
}

/** The managed fields after a create, update or non-apply patch: the updater takes what it changed. */
export function updateFields(input: UpdateInput): ManagedFieldsEntry[] {
  const live = input.live ?? {};
  const entries = ((getAt(live, ['metadata', 'managedFields']) ?? []) as ManagedFieldsEntry[]).map((e) => ({
    ...e,
  }));
  const list = owners(entries);
  const before = new Set(fieldsOf(live).map(key));
  const after = new Set(fieldsOf(input.updated).map(key));
  const changed = new Set<string>();
  for (const k of after)
    if (!before.has(k) || !deepEqual(getAt(live, unkey(k)), getAt(input.updated, unkey(k)))) changed.add(k);
  const removed = [...before].filter((k) => !after.has(k));
  if (changed.size === 0 && removed.length === 0) return entries;
  const isMine = (o: Owner): boolean => o.entry.manager === input.manager && o.entry.operation === 'Update';
  for (const o of list) {
    for (const k of removed) o.fields.delete(k);
    if (!isMine(o)) for (const k of changed) o.fields.delete(k);
  }
  const entry: ManagedFieldsEntry = {
    manager: input.manager,
    operation: 'Update',
    apiVersion: input.apiVersion,
    time: input.now,
    fieldsType: 'FieldsV1',
    fieldsV1: {},
  };
  const mine = list.find(isMine);
  if (mine === undefined) list.push({ entry, fields: changed });
  else {
    for (const k of changed) mine.fields.add(k);
    mine.entry = entry;
  }
  return rebuild(list);
}
