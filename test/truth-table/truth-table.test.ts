/**
 * The evaluator against Kubernetes' own network-policy e2e truth tables (see cases.ts): for every
 * case, the full 9x9 matrix the evaluator computes must equal the one upstream expects of any
 * conforming CNI. A failure prints expected, observed and a comparison grid with the wrong cells.
 */
import { buildPolicyIndex, computeMatrix } from '../../src/core/evaluator';
import { caseState, caseTitle, expectedReachability, TRUTH_TABLE_CASES, type TruthTableCase } from './cases';
import { mismatchReport } from './matrix-diff';
import { XYZ_PODS } from './xyz-model';

function evaluate(c: TruthTableCase) {
  return computeMatrix(buildPolicyIndex(caseState(c)), { port: c.port, protocol: c.protocol });
}

describe('truth-table cases', () => {
  it('are at least 30, with distinct titles', () => {
    const titles = TRUTH_TABLE_CASES.map(caseTitle);
    expect(titles.length).toBeGreaterThanOrEqual(30);
    expect(new Set(titles).size).toBe(titles.length);
  });

  it.each(TRUTH_TABLE_CASES.map((c) => [caseTitle(c), c] as const))('%s', (title, c) => {
    const matrix = evaluate(c);
    expect(matrix.pods).toEqual(XYZ_PODS);

    const expected = expectedReachability(c);
    const at = new Map(matrix.pods.map((pod, i) => [pod, i]));
    const actual = (from: string, to: string): boolean =>
      matrix.allowed(at.get(from) ?? -1, at.get(to) ?? -1);
    const report = mismatchReport(title, XYZ_PODS, (f, t) => expected.get(f, t), actual);
    if (report !== '') throw new Error(report);

    // toJSON is what the CLI prints: it must say the same as allowed().
    expect(matrix.toJSON()).toEqual(expected.matrix());
  });
});
