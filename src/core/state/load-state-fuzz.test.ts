/**
 * Property: whatever a state file holds (random text, mangled kubectl output, arbitrary YAML/JSON
 * values shaped like Kubernetes objects), loading it either gives a cluster state the evaluator can
 * use or fails with one NetpolError E_STATE line: never a crash, a stack trace or a hang.
 * 30,000 cases here (NETPOL_FUZZ_SCALE multiplies them), beside the 100,000 requests of
 * request-fuzz.test.ts.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { isNetpolError } from '../errors';
import { buildPolicyIndex, computeMatrix } from '../evaluator';
import { parseState } from './load-state';

const SCALE = Number(process.env.NETPOL_FUZZ_SCALE ?? '1');
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

const SEED_FILE = `apiVersion: v1
kind: List
items:
  - kind: Namespace
    metadata: { name: web, labels: { team: a } }
  - kind: Pod
    metadata: { name: site-0, namespace: web, labels: { app: site } }
    spec: { containers: [{ ports: [{ name: http, containerPort: 80 }] }] }
    status: { podIP: 10.0.0.5 }
  - kind: NetworkPolicy
    metadata: { name: p, namespace: web }
    spec:
      podSelector: { matchLabels: { app: site } }
      ingress: [{ from: [{ ipBlock: { cidr: 10.0.0.0/8, except: [10.1.0.0/16] } }], ports: [{ port: 80, endPort: 90 }] }]
`;

/** Loads and, when that works, runs the evaluator over it: both must hold up. */
function check(text: string): void {
  let state;
  try {
    state = parseState(text, 'fuzz.yaml');
  } catch (error) {
    if (!isNetpolError(error)) throw error;
    expect(error.code).toBe('E_STATE');
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.toLine()).not.toContain('\n');
    return;
  }
  const matrix = computeMatrix(buildPolicyIndex(state), { port: 80, protocol: 'TCP' });
  expect(matrix.pods).toHaveLength(state.pods.length);
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 8 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      ':',
      '- ',
      '{',
      '}',
      '[',
      ']',
      '\n',
      '  ',
      '&a',
      '*a',
      '!!binary',
      '"',
      "'",
      '#',
      '---\n',
      '999999',
      '-1',
      'null',
      '~',
    ),
  }),
  fc.record({ kind: fc.constant('duplicateLine' as const), at: fc.nat() }),
);

function mutate(text: string, edits: readonly fc.Arbitrary<unknown>[] | unknown[]): string {
  let out = text;
  for (const edit of edits as { kind: string; at: number; length?: number; text?: string }[]) {
    const at = out.length === 0 ? 0 : edit.at % out.length;
    if (edit.kind === 'delete') out = out.slice(0, at) + out.slice(at + (edit.length ?? 1));
    else if (edit.kind === 'insert') out = out.slice(0, at) + (edit.text ?? '') + out.slice(at);
    else {
      const lines = out.split('\n');
      const i = at % Math.max(1, lines.length);
      lines.splice(i, 0, lines[i] ?? '');
      out = lines.join('\n');
    }
  }
  return out;
}

/** Values shaped like Kubernetes objects, with the wrong types and values where it hurts. */
const anyValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.double(),
  fc.constant({}),
  fc.constant([]),
);
const labels = fc.dictionary(
  fc.oneof(fc.constantFrom('app', 'a/b', 'x.io/y', ''), fc.string({ maxLength: 70 })),
  fc.oneof(fc.string({ maxLength: 70 }), anyValue),
  { maxKeys: 3 },
);
const selector = fc.oneof(
  anyValue,
  fc.record(
    {
      matchLabels: fc.oneof(labels, anyValue),
      matchExpressions: fc.oneof(
        anyValue,
        fc.array(
          fc.record(
            {
              key: fc.oneof(fc.string(), anyValue),
              operator: fc.oneof(fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Has'), anyValue),
              values: fc.oneof(fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), anyValue),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 2 },
        ),
      ),
    },
    { requiredKeys: [] },
  ),
);
const peer = fc.record(
  {
    podSelector: selector,
    namespaceSelector: selector,
    ipBlock: fc.oneof(
      anyValue,
      fc.record(
        {
          cidr: fc.oneof(fc.constantFrom('10.0.0.0/8', '::/0', '1.2.3.4/33', '0.0.0.0/0'), fc.string()),
          except: fc.oneof(
            anyValue,
            fc.array(fc.constantFrom('10.1.0.0/16', '11.0.0.0/8', 'x'), { maxLength: 2 }),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);
const port = fc.record(
  {
    protocol: fc.oneof(fc.constantFrom('TCP', 'UDP', 'SCTP', 'ICMP'), anyValue),
    port: fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.constantFrom('http', '80', 'bad--name'), anyValue),
    endPort: fc.oneof(fc.integer({ min: -5, max: 70000 }), anyValue),
  },
  { requiredKeys: [] },
);
const object = fc.oneof(
  fc.record(
    {
      kind: fc.constant('Namespace'),
      metadata: fc.record(
        {
          name: fc.oneof(fc.constantFrom('web', 'Bad', 'a'.repeat(70)), anyValue),
          labels: fc.oneof(labels, anyValue),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record(
    {
      kind: fc.constant('Pod'),
      metadata: fc.record(
        {
          name: fc.oneof(fc.constantFrom('p', 'p-1'), anyValue),
          namespace: fc.oneof(fc.constantFrom('web', 'db'), anyValue),
          labels: fc.oneof(labels, anyValue),
        },
        { requiredKeys: [] },
      ),
      spec: fc.oneof(
        anyValue,
        fc.record(
          {
            hostNetwork: anyValue,
            containers: fc.oneof(
              anyValue,
              fc.array(
                fc.record(
                  {
                    ports: fc.oneof(
                      anyValue,
                      fc.array(
                        fc.record(
                          {
                            name: anyValue,
                            containerPort: fc.oneof(fc.integer({ min: 0, max: 70000 }), anyValue),
                            protocol: anyValue,
                          },
                          { requiredKeys: [] },
                        ),
                        { maxLength: 2 },
                      ),
                    ),
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 2 },
              ),
            ),
          },
          { requiredKeys: [] },
        ),
      ),
      status: fc.record(
        { podIP: fc.oneof(fc.constantFrom('10.0.0.1', 'fd00::1', '300.1.1.1', ''), anyValue) },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record(
    {
      kind: fc.constant('NetworkPolicy'),
      metadata: fc.record(
        {
          name: fc.oneof(fc.constantFrom('p', 'q'), anyValue),
          namespace: fc.oneof(fc.constantFrom('web'), anyValue),
        },
        { requiredKeys: [] },
      ),
      spec: fc.oneof(
        anyValue,
        fc.record(
          {
            podSelector: selector,
            policyTypes: fc.oneof(
              anyValue,
              fc.array(fc.constantFrom('Ingress', 'Egress', 'Both'), { maxLength: 3 }),
            ),
            ingress: fc.oneof(
              anyValue,
              fc.array(
                fc.record(
                  {
                    from: fc.oneof(anyValue, fc.array(peer, { maxLength: 2 })),
                    ports: fc.oneof(anyValue, fc.array(port, { maxLength: 2 })),
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 2 },
              ),
            ),
            egress: fc.oneof(
              anyValue,
              fc.array(
                fc.record(
                  {
                    to: fc.oneof(anyValue, fc.array(peer, { maxLength: 2 })),
                    ports: fc.oneof(anyValue, fc.array(port, { maxLength: 2 })),
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 2 },
              ),
            ),
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record(
    {
      kind: fc.constantFrom('Deployment', 'Service', 'CronJob', 'ConfigMap'),
      metadata: fc.record({ name: anyValue, namespace: anyValue }, { requiredKeys: [] }),
      spec: anyValue,
    },
    { requiredKeys: ['kind'] },
  ),
  anyValue,
);

jest.setTimeout(180_000);

describe('state files under fuzzing', () => {
  it('random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), check), { numRuns: runs(5_000) });
  });

  it('mutated kubectl output', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (edits) =>
        check(mutate(SEED_FILE, edits)),
      ),
      { numRuns: runs(15_000) },
    );
  });

  it('arbitrary objects, as YAML lists and as JSON documents', () => {
    fc.assert(
      fc.property(fc.array(object, { maxLength: 4 }), fc.boolean(), (items, asList) => {
        const text = asList
          ? stringify({ apiVersion: 'v1', kind: 'List', items })
          : items.map((i) => JSON.stringify(i) ?? 'null').join('\n---\n');
        check(text);
      }),
      { numRuns: runs(10_000) },
    );
  });
});
