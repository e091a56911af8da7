/**
 * The catalogue is the one list of error codes: README's "Errors" table must be exactly the table
 * errorTableMarkdown() prints (regenerate it from there when a code is added or reworded).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CATALOGUE, errorTableMarkdown, type CodeOf } from './error-catalogue';

const README = join(__dirname, '..', '..', 'README.md');

/** The first table under the `### Errors` heading (before the next heading). */
function readmeErrorTable(): string {
  const text = readFileSync(README, 'utf8');
  const heading = text.indexOf('\n### Errors\n');
  if (heading < 0) throw new Error('README.md has no "### Errors" section');
  const section = text
    .slice(heading + 1)
    .split('\n')
    .slice(1);
  const next = section.findIndex((line) => line.startsWith('#'));
  const lines = next < 0 ? section : section.slice(0, next);
  const first = lines.findIndex((line) => line.startsWith('|'));
  if (first < 0) throw new Error('README.md\'s "Errors" section has no table');
  const end = lines.findIndex((line, index) => index > first && !line.startsWith('|'));
  return lines.slice(first, end < 0 ? undefined : end).join('\n');
}

describe('ERROR_CATALOGUE', () => {
  test("README's Errors table is the catalogue", () => {
    expect(readmeErrorTable()).toBe(errorTableMarkdown());
  });

  test('every code is E_ and upper case, with a meaning, an action and at least one class', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^E_[A-Z_]+$/);
      expect(entry.meaning).not.toBe('');
      expect(entry.action).not.toBe('');
      expect(entry.raisedBy.length).toBeGreaterThan(0);
      // A pipe would end the Markdown cell early.
      expect(`${entry.meaning}${entry.action}`).not.toContain('|');
    }
  });

  test('E_NOT_OWNED is one code shared by the refusal before and at apply time', () => {
    const owned: CodeOf<'NetpolError'> & CodeOf<'ApplyRefusal'> = 'E_NOT_OWNED';
    expect(ERROR_CATALOGUE[owned].raisedBy).toEqual(['NetpolError', 'ApplyRefusal']);
  });

  test('the table has a row per code, in catalogue order', () => {
    const codes = errorTableMarkdown()
      .split('\n')
      .slice(2)
      .map((row) => row.split('|')[1]?.trim());
    expect(codes).toEqual(Object.keys(ERROR_CATALOGUE));
  });
});
