/**
 * kubectl against the stand-in, through a kubeconfig from `writeKubeconfig`: get, describe, delete and
 * server-side apply print what they print against a real cluster. The stand-in serves HTTPS here
 * because kubectl sends no credentials to a plain-http server. Uses `$KUBECTL` or `kubectl` on PATH
 * (Debian: `apt-get install -y kubernetes-client`); skipped, saying so, when there is none.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeApiStandIn, type KubeApiStandIn } from './index';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';

function kubectlVersion(): string | undefined {
  try {
    return execFileSync(KUBECTL, ['version', '--client'], { encoding: 'utf8', stdio: 'pipe' }).split('\n')[0];
  } catch {
    return undefined;
  }
}

const version = kubectlVersion();
if (version === undefined) {
  console.warn(
    `kubectl.test.ts SKIPPED: no kubectl ("${KUBECTL}" did not run). ` +
      'Install it with `apt-get install -y kubernetes-client`, or point $KUBECTL at one.',
  );
}
// In CI the install script provides kubectl: missing there is a failure, not a silent skip.
if (
  version === undefined &&
  process.env.CI !== undefined &&
  process.env.CI !== '' &&
  process.env.CI !== 'false'
) {
  throw new Error(
    'kubectl is required in CI (bash scripts/test.sh installs it): the stand-in must be proven against it',
  );
}
const describeWithKubectl = version === undefined ? describe.skip : describe;

let standIn: KubeApiStandIn;
let dir: string;

/** Run kubectl asynchronously: the stand-in answers it from this same event loop. */
async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      KUBECTL,
      ['--kubeconfig', join(dir, 'config'), '--cache-dir', join(dir, 'cache'), ...args],
      { timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const columns = (line: string | undefined): string[] => (line ?? '').trim().split(/\s{2,}/);

describeWithKubectl(`kubectl (${version ?? 'absent'})`, () => {
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubectl-stand-in-'));
    standIn = await startKubeApiStandIn({
      tls: true,
      initial: {
        namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'backend' } }],
        networkpolicies: [
          {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'NetworkPolicy',
            metadata: { name: 'allow-frontend', namespace: 'backend' },
            spec: {
              podSelector: { matchLabels: { app: 'api' } },
              ingress: [
                {
                  from: [
                    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } } },
                  ],
                  ports: [{ port: 8080 }],
                },
              ],
            },
          },
        ],
      },
    });
    await standIn.writeKubeconfig(join(dir, 'config'));
  });

  afterEach(async () => {
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('get networkpolicies -A prints the server-side table', async () => {
    const result = await kubectl('get', 'networkpolicies', '-A');
    expect(result.code).toBe(0);
    const [header, row, ...rest] = result.stdout.trim().split('\n');
    expect(columns(header)).toEqual(['NAMESPACE', 'NAME', 'POD-SELECTOR', 'AGE']);
    expect(columns(row).slice(0, 3)).toEqual(['backend', 'allow-frontend', 'app=api']);
    expect(rest).toEqual([]);
  });

  test('describe shows the rules', async () => {
    const result = await kubectl('describe', 'networkpolicy', '-n', 'backend', 'allow-frontend');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Name:\s+allow-frontend$/m);
    expect(result.stdout).toMatch(/^\s+PodSelector:\s+app=api$/m);
    expect(result.stdout).toMatch(/^\s+To Port: 8080\/TCP$/m);
    expect(result.stdout).toMatch(/^\s+NamespaceSelector: kubernetes\.io\/metadata\.name=frontend$/m);
  });

  test('delete removes the policy, and a second delete is NotFound', async () => {
    const deleted = await kubectl('delete', 'networkpolicy', '-n', 'backend', 'allow-frontend');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout.trim()).toBe('networkpolicy.networking.k8s.io "allow-frontend" deleted');
    expect(standIn.store.list('networkpolicies')).toEqual([]);
    const again = await kubectl('delete', 'networkpolicy', '-n', 'backend', 'allow-frontend');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(
      'Error from server (NotFound): networkpolicies.networking.k8s.io "allow-frontend" not found',
    );
  });

  test('apply --server-side records kubectl as manager; an invalid policy gets the 422 message', async () => {
    const manifest = (port: number): string =>
      [
        'apiVersion: networking.k8s.io/v1',
        'kind: NetworkPolicy',
        'metadata: {name: web, namespace: backend}',
        'spec:',
        '  podSelector: {matchLabels: {app: web}}',
        `  ingress: [{ports: [{port: ${port}}]}]`,
        '',
      ].join('\n');
    await writeFile(join(dir, 'good.yaml'), manifest(443));
    // kubectl before 1.27 validates against /openapi/v2 schemas, which the stand-in does not serve.
    const applied = await kubectl('apply', '--server-side', '--validate=false', '-f', join(dir, 'good.yaml'));
    expect(applied.stdout.trim()).toBe('networkpolicy.networking.k8s.io/web serverside-applied');
    const stored = standIn.store.get('networkpolicies', 'backend', 'web') as {
      metadata: { managedFields: { manager: string; operation: string }[] };
    };
    expect(stored.metadata.managedFields.map((m) => [m.manager, m.operation])).toEqual([
      ['kubectl', 'Apply'],
    ]);

    await writeFile(join(dir, 'bad.yaml'), manifest(70000));
    const refused = await kubectl('apply', '--server-side', '--validate=false', '-f', join(dir, 'bad.yaml'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'The NetworkPolicy "web" is invalid: spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
  });
});
