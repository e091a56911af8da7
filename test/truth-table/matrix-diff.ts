/**
 * Compares an expected connectivity matrix with an observed one and renders the difference the way
 * upstream's truth tables print (rows are sources, columns destinations): expected and observed
 * grids with `.` for allowed and `X` for denied, then a comparison grid marking each wrong cell.
 */

export type Allowed = (from: string, to: string) => boolean;

export interface Mismatch {
  from: string;
  to: string;
  expected: boolean;
  actual: boolean;
}

export function findMismatches(pods: readonly string[], expected: Allowed, actual: Allowed): Mismatch[] {
  const out: Mismatch[] = [];
  for (const from of pods) {
    for (const to of pods) {
      const e = expected(from, to);
      const a = actual(from, to);
      if (e !== a) out.push({ from, to, expected: e, actual: a });
    }
  }
  return out;
}

export function renderGrid(pods: readonly string[], cell: (from: string, to: string) => string): string {
  const width = Math.max(3, ...pods.map((p) => p.length));
  const pad = (s: string): string => s.padEnd(width);
  const lines = [[pad('-'), ...pods.map(pad)].join(' ')];
  for (const from of pods) lines.push([pad(from), ...pods.map((to) => pad(cell(from, to)))].join(' '));
  return lines.map((line) => line.trimEnd()).join('\n');
}

const allowedMark = (allowed: boolean): string => (allowed ? '.' : 'X');

/** A report for a failed case; empty when the matrices agree. */
export function mismatchReport(
  title: string,
  pods: readonly string[],
  expected: Allowed,
  actual: Allowed,
): string {
  const mismatches = findMismatches(pods, expected, actual);
  if (mismatches.length === 0) return '';
  const wrong = new Set(mismatches.map((m) => `${m.from}>${m.to}`));
  const comparison = renderGrid(pods, (from, to) => {
    if (!wrong.has(`${from}>${to}`)) return '.';
    return actual(from, to) ? '+' : '-';
  });
  const cells = mismatches.map(
    (m) =>
      `  ${m.from} -> ${m.to}: expected ${m.expected ? 'allow' : 'deny'}, got ${m.actual ? 'allow' : 'deny'}`,
  );
  return [
    `${title}: ${mismatches.length} wrong cell(s) of ${pods.length * pods.length}`,
    '',
    'expected (rows: from, columns: to; . allowed, X denied):',
    renderGrid(pods, (f, t) => allowedMark(expected(f, t))),
    '',
    'observed:',
    renderGrid(pods, (f, t) => allowedMark(actual(f, t))),
    '',
    'comparison (. right, + allowed but should be denied, - denied but should be allowed):',
    comparison,
    '',
    'wrong cells:',
    ...cells,
  ].join('\n');
}
