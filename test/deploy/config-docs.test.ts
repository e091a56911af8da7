/**
 * The README's configuration tables and the chart's values.schema.json are generated from the
 * configuration schema (src/platform/config/schema.ts, `npm run gen:config-docs`): regenerating them
 * must change nothing, or the checked-in copies have drifted from what the loaders accept. And the
 * chart's defaults must pass the schema they are documented against.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  configFileTable,
  environmentTable,
  helmValuesSchema,
  withGeneratedSections,
} from '../../src/platform/config/config-docs';
import { ENVIRONMENT, fromText } from '../../src/platform/config/schema';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** `text` as the repository's prettier formats `path` (a process: prettier 3 cannot load in jest). */
async function formatted(path: string, text: string): Promise<string> {
  return execFileSync(join(ROOT, 'node_modules/.bin/prettier'), ['--stdin-filepath', join(ROOT, path)], {
    input: text,
    encoding: 'utf8',
  });
}

const FIX = 'run `npm run gen:config-docs` and commit the result';

test(`the README's configuration tables are what the schema generates (else ${FIX})`, async () => {
  const readme = read('README.md');
  expect(await formatted('README.md', withGeneratedSections(readme))).toBe(readme);
  // Not empty: one row per variable and per file field.
  expect(readme).toMatch(/\| `NETPOL_WORKER_CONCURRENCY` +\| worker /);
  expect(environmentTable().split('\n').length).toBeGreaterThan(30);
  expect(configFileTable()).toContain('| `approvers` |');
});

test(`helm/netpol/values.schema.json is what the schema generates (else ${FIX})`, async () => {
  const checkedIn = read('helm/netpol/values.schema.json');
  expect(await formatted('helm/netpol/values.schema.json', JSON.stringify(helmValuesSchema(), null, 2))).toBe(
    checkedIn,
  );
});

describe('the chart values the schema documents', () => {
  const values = parse(read('helm/netpol/values.yaml')) as Record<string, unknown>;
  const templates = ['worker-deployment.yaml', 'bot-deployment.yaml', 'agent-daemonset.yaml', '_helpers.tpl']
    .map((name) => read(`helm/netpol/templates/${name}`))
    .join('\n');
  const charted = Object.values(ENVIRONMENT)
    .flatMap((variables) => Object.values(variables))
    .filter((variable) => variable.helm !== undefined);

  it.each(charted.map((variable) => [variable.name, variable] as const))(
    '%s: its chart value exists, sets it in a template, and its default passes its schema',
    (_name, variable) => {
      let value: unknown = values;
      for (const key of (variable.helm as string).split('.')) value = (value as Record<string, unknown>)[key];
      expect(value).toBeDefined();
      expect(templates).toContain(`.Values.${variable.helm}`);
      if (value === '' || (Array.isArray(value) && value.length === 0)) return; // unset: the loader's default
      const text = Array.isArray(value) ? value.join(',') : String(value);
      const result = variable.schema.safeParse(fromText(variable, text));
      expect(result.success ? 'valid' : result.error.issues.map((i) => i.message).join('; ')).toBe('valid');
    },
  );
});

describe('values.schema.json, as a validator reads it', () => {
  const schema = z.fromJSONSchema(JSON.parse(read('helm/netpol/values.schema.json')) as never);
  const defaults = () => parse(read('helm/netpol/values.yaml')) as Record<string, Record<string, unknown>>;
  const problems = (values: unknown) => {
    const result = schema.safeParse(values);
    return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
  };

  it("accepts the chart's defaults and a filled-in bot config", () => {
    expect(problems(defaults())).toEqual([]);
    const values = defaults();
    values.bot!.config = {
      approvalChannel: 'C0APPROVE',
      approvers: { default: { users: ['U0ALICE'] }, namespaces: { payments: { groups: ['S0PAY'] } } },
      requestTtl: '2h',
      dns: { namespace: 'kube-system', port: 53 },
    };
    values.metrics!.port = 9100;
    expect(problems({ ...values, cluster: 'prod' })).toEqual([]);
  });

  it('refuses a bad ID, an unknown file field, a port out of range and a bad cluster name, by path', () => {
    const values = defaults();
    values.bot!.config = { approvers: { default: { users: ['alice'] } }, colour: 'blue' };
    values.metrics!.port = 70_000;
    expect(problems({ ...values, cluster: 'Prod' }).sort()).toEqual(
      ['bot.config', 'bot.config.approvers.default.users.0', 'cluster', 'metrics.port'].sort(),
    );
  });
});
