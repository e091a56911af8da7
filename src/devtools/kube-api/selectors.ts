/**
 * The `labelSelector` and `fieldSelector` query parameters of list and watch, parsed from their string
 * forms (`app=web,tier!=db,env in (a,b),!legacy`, `metadata.name=x`) into predicates over stored
 * objects. Pure.
 */

type Obj = Record<string, unknown>;
export type ObjectPredicate = (object: Obj) => boolean;

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

/** Split on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function labelsOf(object: Obj): Record<string, string> {
  const meta = (object.metadata ?? {}) as Obj;
  return (meta.labels ?? {}) as Record<string, string>;
}

function parseRequirement(text: string): ObjectPredicate {
  const set = /^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (set !== null) {
    const [, key = '', op, list = ''] = set;
    const values = new Set(list.split(',').map((v) => v.trim()));
    if (op === 'in') return (o) => key in labelsOf(o) && values.has(labelsOf(o)[key] ?? '');
    return (o) => !(key in labelsOf(o)) || !values.has(labelsOf(o)[key] ?? '');
  }
  const cmp = /^([^\s!=<>(),]+)\s*(==|=|!=|<|>)\s*([^\s!=<>(),]*)$/.exec(text);
  if (cmp !== null) {
    const [, key = '', op, value = ''] = cmp;
    switch (op) {
      case '=':
      case '==':
        return (o) => labelsOf(o)[key] === value;
      case '!=':
        return (o) => labelsOf(o)[key] !== value;
      default: {
        const bound = Number(value);
        if (!Number.isInteger(bound))
          throw new SelectorError(
            `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
          );
        return (o) => {
          const actual = labelsOf(o)[key];
          if (actual === undefined || !/^-?\d+$/.test(actual)) return false;
          return op === '<' ? Number(actual) < bound : Number(actual) > bound;
        };
      }
    }
  }
  const exists = /^(!?)\s*([^\s!=<>(),]+)$/.exec(text);
  if (exists !== null) {
    const [, not, key = ''] = exists;
    return not === '!' ? (o) => !(key in labelsOf(o)) : (o) => key in labelsOf(o);
  }
  throw new SelectorError(
    `unable to parse requirement: found '${text}', expected: in, notin, =, ==, !=, gt, lt`,
  );
}

export function parseLabelSelector(text: string | undefined): ObjectPredicate {
  if (text === undefined || text.trim() === '') return () => true;
  const requirements = splitTopLevel(text).map(parseRequirement);
  return (o) => requirements.every((r) => r(o));
}

/** The fields each resource can be selected by (the real server's field label conversion funcs). */
const FIELD_LABELS: Record<string, string[]> = {
  namespaces: ['metadata.name', 'status.phase'],
  pods: [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'spec.restartPolicy',
    'status.phase',
    'status.podIP',
  ],
  networkpolicies: ['metadata.name', 'metadata.namespace'],
};

function fieldValue(object: Obj, path: string): string {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return '';
    current = (current as Obj)[part];
  }
  return typeof current === 'string' ? current : '';
}

export function parseFieldSelector(resource: string, text: string | undefined): ObjectPredicate {
  if (text === undefined || text.trim() === '') return () => true;
  const supported = FIELD_LABELS[resource] ?? ['metadata.name', 'metadata.namespace'];
  const requirements = splitTopLevel(text).map((term): ObjectPredicate => {
    const match = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (match === null) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, field = '', op, value = ''] = match;
    if (!supported.includes(field)) throw new SelectorError(`field label not supported: ${field}`);
    return op === '!=' ? (o) => fieldValue(o, field) !== value : (o) => fieldValue(o, field) === value;
  });
  return (o) => requirements.every((r) => r(o));
}
