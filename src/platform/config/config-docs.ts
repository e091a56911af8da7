/**
 * What is generated from the configuration schema (schema.ts), so the documentation and the chart
 * cannot drift from what the loaders accept: the README's table of environment variables and its
 * table of NETPOL_CONFIG fields (between `<!-- config-docs:… -->` markers), and the chart's
 * values.schema.json (Helm checks values against it before rendering). Pure: scripts/gen-config-docs.ts
 * writes the files (then prettier formats them); test/deploy/config-docs.test.ts fails when the
 * checked-in copies differ.
 */
import { z } from 'zod';
import {
  BOT_ENV,
  configFileShape,
  DOCUMENTED_AS,
  ENVIRONMENT,
  type EnvVar,
  type ProcessName,
} from './schema';

const PROCESSES: readonly ProcessName[] = ['bot', 'worker', 'agent'];

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const code = (text: string) => (text === '' ? '' : `\`${text}\``);

/** Each variable once, with the processes that read it (a shared definition is one row). */
function variables(): { variable: EnvVar; usedBy: ProcessName[] }[] {
  const rows = new Map<EnvVar, ProcessName[]>();
  for (const process of PROCESSES)
    for (const variable of Object.values(ENVIRONMENT[process])) {
      const usedBy = rows.get(variable) ?? [];
      usedBy.push(process);
      rows.set(variable, usedBy);
    }
  return [...rows].map(([variable, usedBy]) => ({ variable, usedBy }));
}

export function environmentTable(): string {
  return markdownTable(
    ['variable', 'used by', 'default', 'chart value', 'meaning'],
    variables().map(({ variable, usedBy }) => [
      variable.name === 'NETPOL_CLUSTER' && usedBy.includes('worker')
        ? '`NETPOL_CLUSTER` (or `--cluster`)'
        : code(variable.name),
      usedBy.join(', '),
      variable.default === '' ? '' : code(variable.default),
      code(variable.helm ?? ''),
      variable.doc,
    ]),
  );
}

export function configFileTable(): string {
  const shortcuts = new Map<string, string[]>();
  for (const variable of Object.values(BOT_ENV) as EnvVar[])
    if (variable.file !== undefined) {
      const top = variable.file.split('.')[0] as string;
      shortcuts.set(top, [...(shortcuts.get(top) ?? []), variable.name]);
    }
  return markdownTable(
    ['field', 'variable', 'meaning'],
    Object.entries(configFileShape).map(([name, schema]) => [
      code(name),
      (shortcuts.get(name) ?? []).map(code).join(', '),
      schema.meta()?.description ?? '',
    ]),
  );
}

export const README_SECTIONS: Readonly<Record<string, () => string>> = {
  environment: environmentTable,
  'config-file': configFileTable,
};

/**
 * `readme` with every generated section replaced: the text between `<!-- config-docs:NAME -->`
 * and `<!-- /config-docs:NAME -->`. Throws when a marker is missing.
 */
export function withGeneratedSections(readme: string): string {
  let out = readme;
  for (const [name, generate] of Object.entries(README_SECTIONS)) {
    const open = `<!-- config-docs:${name} -->`;
    const close = `<!-- /config-docs:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start === -1 || end < start) throw new Error(`README.md has no ${open} … ${close} section`);
    out = `${out.slice(0, start + open.length)}\n\n${generate()}\n\n${out.slice(end)}`;
  }
  return out;
}

type JsonSchema = Record<string, unknown>;

/** A value's JSON Schema (draft 7, what Helm validates), as a value is written in values.yaml. */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const documented = DOCUMENTED_AS.get(ctx.zodSchema as unknown as z.ZodType);
      if (documented === undefined) return;
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchema)[key];
      Object.assign(ctx.jsonSchema, jsonSchemaOf(documented));
    },
  }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** values.yaml writes '' for a text value it leaves unset (the templates skip it). */
function orUnset(json: JsonSchema): JsonSchema {
  return json.type === 'string' ? { anyOf: [{ const: '' }, json] } : json;
}

/** Sets `schema` at `path` (a.b.c) of a values schema, making the objects on the way. */
function place(root: JsonSchema, path: string, schema: JsonSchema): void {
  const keys = path.split('.');
  let node = root;
  for (const key of keys.slice(0, -1)) {
    const properties = (node.properties ??= {}) as Record<string, JsonSchema>;
    node = properties[key] ??= { type: 'object' };
  }
  ((node.properties ??= {}) as Record<string, JsonSchema>)[keys[keys.length - 1] as string] = schema;
}

/**
 * The chart's values.schema.json: every value that sets a variable, checked by that variable's
 * schema (shared definitions once), and bot.config by the NETPOL_CONFIG file's schema. The chart's
 * other values (image, resources, …) are left open.
 */
export function helmValuesSchema(): JsonSchema {
  const root: JsonSchema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'netpol chart values (generated from src/platform/config/schema.ts: npm run gen:config-docs)',
    type: 'object',
  };
  const seen = new Set<string>();
  for (const { variable } of variables()) {
    if (variable.helm === undefined || seen.has(variable.helm)) continue;
    seen.add(variable.helm);
    const value: JsonSchema = variable.helmText === true ? { type: 'string' } : jsonSchemaOf(variable.schema);
    place(root, variable.helm, {
      ...orUnset(value),
      description: `${variable.name}: ${variable.doc}`,
    });
  }
  place(root, 'bot.config', {
    ...jsonSchemaOf(z.strictObject(configFileShape)),
    description: 'the NETPOL_CONFIG file (README: Configuration)',
  });
  return root;
}
