/**
 * The CLI end to end on a handful of truth-table cases: each case's cluster (the xyz model with its
 * label updates and policies) goes into one `kind: List` state file, `netpol matrix` runs in-process
 * on it, and the JSON it prints must be upstream's expected matrix. One case per protocol, one with a
 * named port, one with an ipBlock, one with a label update, one with a port range.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/main';
import { caseState, caseTitle, expectedReachability, TRUTH_TABLE_CASES, type TruthTableCase } from './cases';
import { toKubeList } from './kube-list';
import { Reachability } from './reachability';
import { XYZ_PODS } from './xyz-model';

function pick(
  upstream: string,
  where: Partial<Pick<TruthTableCase, 'suite' | 'step' | 'variant'>> = {},
): TruthTableCase {
  const found = TRUTH_TABLE_CASES.filter(
    (c) =>
      c.upstream === upstream &&
      c.suite === (where.suite ?? 'TCP') &&
      c.step === where.step &&
      c.variant === where.variant,
  );
  if (found.length !== 1)
    throw new Error(`expected one case "${upstream}" ${JSON.stringify(where)}, found ${found.length}`);
  return found[0] as TruthTableCase;
}

const CLI_CASES: TruthTableCase[] = [
  pick("should support a 'default-deny-all' policy"),
  pick('should enforce policy based on Ports', { suite: 'UDP' }),
  pick(
    'should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector',
    { suite: 'SCTP' },
  ),
  pick('should allow ingress access from namespace on one named port', { step: 'probing 80' }),
  pick('should allow egress access on one named port', { step: 'probing 81' }),
  pick('should allow egress access to server in CIDR block'),
  pick('should allow ingress access from updated namespace', {
    step: 'after namespace y is labelled ns2=updated',
  }),
  pick('should enforce policy based on Ports', { variant: 'endPort range 80-81, probing 81' }),
];

describe('netpol matrix (CLI) on truth-table cases', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netpol-truth-table-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the committed xyz-state.yaml: with no policy, every pod reaches every pod', async () => {
    let stdout = '';
    let stderr = '';
    const args = [
      'matrix',
      '--state',
      join(__dirname, 'xyz-state.yaml'),
      '--port',
      '80',
      '--protocol',
      'TCP',
    ];
    const code = await runCli([...args, '--output', 'json'], {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
    });
    if (code !== 0) throw new Error(`netpol matrix exited ${code}: ${stderr}`);
    expect(JSON.parse(stdout)).toEqual(new Reachability(XYZ_PODS, true).matrix());
  });

  it.each(CLI_CASES.map((c, i) => [caseTitle(c), c, i] as const))('%s', async (_title, c, i) => {
    const file = join(dir, `case-${i}.yaml`);
    writeFileSync(file, stringify(toKubeList(caseState(c))));

    let stdout = '';
    let stderr = '';
    const code = await runCli(
      ['matrix', '--state', file, '--port', String(c.port), '--protocol', c.protocol, '--output', 'json'],
      { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
    );

    if (code !== 0) throw new Error(`netpol matrix exited ${code}: ${stderr}`);
    expect(JSON.parse(stdout)).toEqual(expectedReachability(c).matrix());
  });
});
