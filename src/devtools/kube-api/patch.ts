/**
 * The non-apply PATCH bodies: JSON merge patch (RFC 7386, also used for strategic merge patch, whose
 * list-merge directives are not reproduced: lists are replaced whole, which for NetworkPolicy's atomic
 * lists is what the real server does too) and JSON patch (RFC 6902). Pure.
 */

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const result: Obj = isObj(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k], v);
  }
  return result;
}

export class JsonPatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPatchError';
  }
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new JsonPatchError(`invalid JSON pointer: ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, parts: string[]): { parent: unknown; last: string } {
  let current = doc;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(part)];
    else if (isObj(current)) current = current[part];
    else current = undefined;
    if (current === undefined) throw new JsonPatchError(`doc is missing path: ${parts.join('/')}`);
  }
  return { parent: current, last: parts[parts.length - 1] ?? '' };
}

function read(doc: unknown, path: string): unknown {
  let current = doc;
  for (const part of pointer(path)) {
    if (Array.isArray(current)) current = current[Number(part)];
    else if (isObj(current)) current = current[part];
    else current = undefined;
    if (current === undefined) throw new JsonPatchError(`doc is missing path: ${path}`);
  }
  return current;
}

function remove(doc: unknown, path: string): void {
  const { parent, last } = parentOf(doc, pointer(path));
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length)) throw new JsonPatchError(`Unable to remove nonexistent key: ${last}`);
    parent.splice(i, 1);
  } else if (isObj(parent) && last in parent) delete parent[last];
  else throw new JsonPatchError(`Unable to remove nonexistent key: ${last}: missing value`);
}

function add(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const parts = pointer(path);
  if (parts.length === 0) return structuredClone(value);
  const { parent, last } = parentOf(doc, parts);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!(i >= 0 && i <= parent.length))
      throw new JsonPatchError(`add operation does not apply: index out of range`);
    if (replace) parent[i] = structuredClone(value);
    else parent.splice(i, 0, structuredClone(value));
  } else if (isObj(parent)) {
    if (replace && !(last in parent))
      throw new JsonPatchError(`replace operation does not apply: doc is missing key: ${path}`);
    parent[last] = structuredClone(value);
  } else throw new JsonPatchError(`doc is missing path: ${path}`);
  return doc;
}

export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new JsonPatchError('json patch must be a list of operations');
  let doc = structuredClone(target);
  for (const raw of operations as Operation[]) {
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, raw.value, false);
        break;
      case 'replace':
        doc = add(doc, raw.path, raw.value, true);
        break;
      case 'remove':
        remove(doc, raw.path);
        break;
      case 'test':
        if (JSON.stringify(read(doc, raw.path)) !== JSON.stringify(raw.value)) {
          throw new JsonPatchError(`testing value ${raw.path} failed: test failed`);
        }
        break;
      case 'move':
      case 'copy': {
        const value = read(doc, raw.from ?? '');
        if (raw.op === 'move') remove(doc, raw.from ?? '');
        doc = add(doc, raw.path, value, false);
        break;
      }
      default:
        throw new JsonPatchError(`Unexpected kind: ${String(raw.op)}`);
    }
  }
  return doc;
}
