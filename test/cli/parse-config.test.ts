/**
 * `netpol parse --config FILE` (or the bot's NETPOL_CONFIG): the CLI reads words with the bot's label
 * keys and keywords, so what it prints is what the bot would preview.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCliCaptured } from '../support/run-cli';

/** frontend/web-0 carries only `component: web`: none of the default label keys names it. */
const STATE = `apiVersion: v1
kind: List
items:
  - kind: Namespace
    apiVersion: v1
    metadata: { name: frontend, labels: { kubernetes.io/metadata.name: frontend } }
  - kind: Namespace
    apiVersion: v1
    metadata: { name: backend, labels: { kubernetes.io/metadata.name: backend } }
  - kind: Pod
    apiVersion: v1
    metadata: { name: web-0, namespace: frontend, labels: { component: web } }
    spec: { containers: [{ name: web, image: nginx }] }
    status: { podIP: 10.1.0.5 }
  - kind: Pod
    apiVersion: v1
    metadata: { name: api-0, namespace: backend, labels: { app: api } }
    spec: { containers: [{ name: api, image: api }] }
    status: { podIP: 10.1.0.6 }
`;

let dir: string;
let statePath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-cli-config-'));
  statePath = join(dir, 'state.yaml');
  writeFileSync(statePath, STATE);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, yaml: string): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

const run = (argv: string[], env: Record<string, string> = {}) => runCliCaptured(argv, { env });

function peersOf(stdout: string): unknown {
  const [policy] = parseAllDocuments(stdout).map((d) => d.toJS());
  return policy.spec.ingress?.[0]?.from ?? policy.spec.egress?.[0]?.to;
}

describe('netpol parse with the bot configuration', () => {
  const request = ['parse', 'allow frontend web to backend', '--state'];

  it('without a configuration, a word no default label key carries becomes app=<word>', async () => {
    const { code, stdout, stderr } = await run([...request, statePath]);
    expect(code).toBe(0);
    expect(stderr).toContain('understood: allow frontend/app=web to backend/* on any');
    expect(peersOf(stdout)).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } },
        podSelector: { matchLabels: { app: 'web' } },
      },
    ]);
  });

  it('--config with labelKeys resolves the word under the configured key', async () => {
    const config = configFile('label-keys.yaml', 'labelKeys: [component, app]\napprovalChannel: C0123ABCD\n');
    const { code, stdout, stderr } = await run([...request, statePath, '--config', config]);
    expect(code).toBe(0);
    expect(stderr).toContain('understood: allow frontend/component=web to backend/* on any');
    expect(stderr).toContain('resolved: frontend web -> component=web (1 pod carries that label)');
    expect(peersOf(stdout)).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } },
        podSelector: { matchLabels: { component: 'web' } },
      },
    ]);
  });

  it('reads the file the bot reads (NETPOL_CONFIG) when --config is not given', async () => {
    const config = configFile('env.yaml', 'labelKeys: [component]\n');
    const { code, stderr } = await run([...request, statePath], { NETPOL_CONFIG: config });
    expect(code).toBe(0);
    expect(stderr).toContain('understood: allow frontend/component=web to backend/* on any');
  });

  it('uses the configured DNS for the dns keyword', async () => {
    const config = configFile(
      'dns.yaml',
      'dns: { namespace: dns-system, podLabels: { k8s-app: coredns }, port: 5353 }\n',
    );
    const argv = ['parse', 'deny egress in backend except dns', '--config', config];
    const { code, stdout } = await run(argv);
    expect(code).toBe(0);
    const [policy] = parseAllDocuments(stdout).map((d) => d.toJS());
    expect(policy.spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'coredns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 5353 },
          { protocol: 'TCP', port: 5353 },
        ],
      },
    ]);
  });

  it.each([
    ['labelKeys: []\n', 'labelKeys: must be a non-empty list of label keys'],
    ['labelKeys: [component]\nlabelkeys: [app]\n', 'labelkeys: unknown field'],
    ['dns: { port: 99999 }\n', 'dns.port: must be a port from 1 to 65535'],
  ])('refuses a bad file %j with one E_CONFIG line', async (yaml, fragment) => {
    const config = configFile('bad.yaml', yaml);
    const { code, stdout, stderr } = await run([...request, statePath, '--config', config]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('E_CONFIG');
    expect(stderr).toContain(fragment);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('names --config when the file is missing', async () => {
    const { code, stderr } = await run([...request, statePath, '--config', join(dir, 'nope.yaml')]);
    expect(code).toBe(2);
    expect(stderr).toContain('--config: cannot read');
  });

  it('documents --config in --help', async () => {
    expect((await run(['--help'])).stdout).toContain('--config FILE');
  });
});
