/**
 * Writes what is generated from the configuration schema (src/platform/config/config-docs.ts): the
 * README's configuration tables and helm/netpol/values.schema.json, formatted by the repository's
 * prettier. `npm run gen:config-docs` after changing src/platform/config/schema.ts;
 * test/deploy/config-docs.test.ts fails until then.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { helmValuesSchema, withGeneratedSections } from '../src/platform/config/config-docs';

const ROOT = join(__dirname, '..', '..');

async function write(path: string, text: string): Promise<void> {
  const file = join(ROOT, path);
  const options = (await prettier.resolveConfig(file)) ?? {};
  const formatted = await prettier.format(text, { ...options, filepath: file });
  const before = readFileSync(file, { encoding: 'utf8', flag: 'a+' });
  if (before === formatted) return;
  writeFileSync(file, formatted);
  console.log(`wrote ${path}`);
}

async function main(): Promise<void> {
  await write('README.md', withGeneratedSections(readFileSync(join(ROOT, 'README.md'), 'utf8')));
  await write('helm/netpol/values.schema.json', JSON.stringify(helmValuesSchema(), null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
