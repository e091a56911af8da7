/**
 * Walks an untrusted object (parsed YAML/JSON) field by field, collecting every problem with its
 * field path instead of stopping at the first, so a person can fix a whole file in one pass. Maps
 * read from it (labels, annotations, selectors) are null-prototype records (see own-keys.ts): a key
 * such as `__proto__` is kept, and checked, like any other.
 */
import { emptyRecord } from '../own-keys';
import { labelKeyProblem, labelValueProblem } from './names';
import type { LabelSelector, LabelSelectorRequirement } from './types';

export interface ReadResult<T> {
  value?: T;
  problems: string[];
}

export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects problems while walking an untrusted object; `at` is the field path being read. */
export class Reader {
  readonly problems: string[] = [];

  problem(at: string, message: string): void {
    this.problems.push(`${at}: ${message}`);
  }

  object(value: unknown, at: string): Obj | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isObj(value)) {
      this.problem(at, 'must be an object');
      return undefined;
    }
    return value;
  }

  array(value: unknown, at: string): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.problem(at, 'must be a list');
      return undefined;
    }
    return value;
  }

  string(value: unknown, at: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      this.problem(at, 'must be a string');
      return undefined;
    }
    return value;
  }

  stringMap(value: unknown, at: string): Record<string, string> | undefined {
    const obj = this.object(value, at);
    if (obj === undefined) return undefined;
    const out = emptyRecord<string>();
    for (const [key, raw] of Object.entries(obj)) {
      if (typeof raw !== 'string') {
        this.problem(`${at}.${key}`, 'must be a string');
        continue;
      }
      out[key] = raw;
    }
    return out;
  }

  labels(value: unknown, at: string): Record<string, string> | undefined {
    const labels = this.stringMap(value, at);
    if (labels === undefined) return undefined;
    for (const [key, labelValue] of Object.entries(labels)) {
      const keyProblem = labelKeyProblem(key);
      if (keyProblem !== undefined) this.problem(`${at}`, `key "${key}": ${keyProblem}`);
      const valueProblem = labelValueProblem(labelValue);
      if (valueProblem !== undefined) this.problem(`${at}.${key}`, `value "${labelValue}": ${valueProblem}`);
    }
    return labels;
  }

  selector(value: unknown, at: string): LabelSelector | undefined {
    const obj = this.object(value, at);
    if (obj === undefined) return undefined;
    const selector: LabelSelector = {};
    const matchLabels = this.labels(obj.matchLabels, `${at}.matchLabels`);
    if (matchLabels !== undefined) selector.matchLabels = matchLabels;
    const expressions = this.array(obj.matchExpressions, `${at}.matchExpressions`);
    if (expressions !== undefined) {
      selector.matchExpressions = [];
      expressions.forEach((raw, i) => {
        const req = this.requirement(raw, `${at}.matchExpressions[${i}]`);
        if (req !== undefined) selector.matchExpressions?.push(req);
      });
    }
    return selector;
  }

  private requirement(value: unknown, at: string): LabelSelectorRequirement | undefined {
    const obj = this.object(value, at);
    if (obj === undefined) return undefined;
    const key = this.string(obj.key, `${at}.key`);
    const operator = this.string(obj.operator, `${at}.operator`);
    const values = this.array(obj.values, `${at}.values`);
    if (key === undefined) {
      this.problem(`${at}.key`, 'is required');
      return undefined;
    }
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) this.problem(`${at}.key`, `"${key}": ${keyProblem}`);
    if (operator !== 'In' && operator !== 'NotIn' && operator !== 'Exists' && operator !== 'DoesNotExist') {
      this.problem(
        `${at}.operator`,
        `must be In, NotIn, Exists or DoesNotExist (is ${JSON.stringify(operator)})`,
      );
      return undefined;
    }
    const strings = (values ?? []).filter((v): v is string => typeof v === 'string');
    if (strings.length !== (values ?? []).length) this.problem(`${at}.values`, 'must be a list of strings');
    if ((operator === 'In' || operator === 'NotIn') && strings.length === 0) {
      this.problem(`${at}.values`, `must be non-empty when operator is ${operator}`);
    }
    if ((operator === 'Exists' || operator === 'DoesNotExist') && strings.length > 0) {
      this.problem(`${at}.values`, `must be empty when operator is ${operator}`);
    }
    for (const v of strings) {
      const p = labelValueProblem(v);
      if (p !== undefined) this.problem(`${at}.values`, `"${v}": ${p}`);
    }
    return strings.length > 0 ? { key, operator, values: strings } : { key, operator };
  }
}
