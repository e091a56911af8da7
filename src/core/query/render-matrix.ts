/**
 * The reachability matrix as text a person can scan: numbered columns (pod names are too wide to
 * head columns), one row per source pod, `.` allowed and `X` denied, like the Kubernetes e2e tests.
 */
import type { ReachabilityMatrix } from '../evaluator';

export function renderMatrixTable(matrix: ReachabilityMatrix, title: string): string {
  const n = matrix.pods.length;
  if (n === 0) return `${title}\n(no pods in the state)\n`;
  const numberWidth = String(n).length;
  const nameWidth = Math.max(4, ...matrix.pods.map((p) => p.length));
  const cell = (text: string) => text.padStart(numberWidth);
  const lines = [title, 'rows: from, columns: to (numbered as the rows); . allowed, X denied', ''];
  const head = `${' '.repeat(numberWidth)} ${'from'.padEnd(nameWidth)} | ${matrix.pods.map((_, j) => cell(String(j + 1))).join(' ')}`;
  lines.push(head, '-'.repeat(head.length));
  matrix.pods.forEach((pod, i) => {
    const cells: string[] = [];
    for (let j = 0; j < n; j++) cells.push(cell(matrix.allowed(i, j) ? '.' : 'X'));
    lines.push(`${String(i + 1).padStart(numberWidth)} ${pod.padEnd(nameWidth)} | ${cells.join(' ')}`);
  });
  return `${lines.join('\n')}\n`;
}
