/**
 * The CLI on a live cluster (issue 11): matrix, explain and show read the Kubernetes API stand-in
 * through a kubeconfig file the test writes (two contexts, one stand-in each, bearer tokens), and
 * print the same bytes as the same commands on the equivalent --state file; --context picks the
 * other cluster; KUBECONFIG is read like kubectl reads it; reading only lists; and a refused token,
 * a refused verb, an unreachable server, an unknown context and a missing kubeconfig each give one
 * line naming what is wrong. In-process through runCli, as cli.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../src/cli/main';
import { startKubeApiStandIn, type KubeApiStandIn } from '../../src/devtools/kube-api';

const EXAMPLE = join(__dirname, '../../examples/reference-cluster.yaml');
const FRONTEND = 'frontend/nginx-7c5ddbdf54-2xkqp';
const BACKEND = 'backend/nginx-6d4cf56db6-8p9wz';

/** A default deny in backend, and netpol's allow from frontend's nginx back in (with provenance). */
const POLICIES = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny-ingress', namespace: 'backend' },
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: 'netpol-allow-frontend-nginx',
      namespace: 'backend',
      labels: { 'app.kubernetes.io/managed-by': 'netpol', 'netpol.io/request-id': 'r-live0000000001' },
      annotations: {
        'netpol.io/request-id': 'r-live0000000001',
        'netpol.io/requester': 'U0REQUEST1',
        'netpol.io/approver': 'U0APPROVE2',
        'netpol.io/created-at': '2026-11-22T10:01:07.000Z',
      },
    },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } },
              podSelector: { matchLabels: { app: 'nginx' } },
            },
          ],
          ports: [{ protocol: 'TCP', port: 80 }],
        },
      ],
    },
  },
];

/** The second cluster: one namespace the first does not have. */
const PAYMENTS = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments', labels: { team: 'pay' } } },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'ledger-0', namespace: 'payments', labels: { app: 'ledger' } },
    spec: { containers: [{ name: 'main', image: 'ledger:1', ports: [{ containerPort: 8443 }] }] },
    status: { podIP: '10.9.0.5' },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'deny-all', namespace: 'payments' },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  },
];

type Obj = { kind: string };

function objectsOf(yamlText: string): Obj[] {
  return parseAllDocuments(yamlText).flatMap((doc) => {
    const value = doc.toJS() as Obj & { items?: Obj[] };
    return value.kind === 'List' ? (value.items ?? []) : [value];
  });
}

const ofKind = (objects: Obj[], kind: string): object[] => objects.filter((o) => o.kind === kind);

async function seeded(objects: Obj[], token: string, user: string): Promise<KubeApiStandIn> {
  return startKubeApiStandIn({
    token,
    user,
    initial: {
      namespaces: ofKind(objects, 'Namespace'),
      pods: ofKind(objects, 'Pod'),
      networkpolicies: ofKind(objects, 'NetworkPolicy'),
    },
  });
}

interface Context {
  name: string;
  url: string;
  token: string;
  namespace?: string;
}

/** A kubeconfig with one cluster, user and context per entry; the first is current. */
function kubeconfig(path: string, contexts: Context[], current = contexts[0]?.name): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: contexts.map((c) => ({
      name: `${c.name}-cluster`,
      // Plain http: client-node needs insecure-skip-tls-verify to accept an http server.
      cluster: { server: c.url, 'insecure-skip-tls-verify': true },
    })),
    users: contexts.map((c) => ({ name: `${c.name}-user`, user: { token: c.token } })),
    contexts: contexts.map((c) => ({
      name: c.name,
      context: {
        cluster: `${c.name}-cluster`,
        user: `${c.name}-user`,
        ...(c.namespace === undefined ? {} : { namespace: c.namespace }),
      },
    })),
    ...(current === undefined ? {} : { 'current-context': current }),
  };
  writeFileSync(path, JSON.stringify(doc, null, 2), { mode: 0o600 });
  return path;
}

let dir: string;
let alpha: KubeApiStandIn;
let beta: KubeApiStandIn;
let alphaState: string;
let betaState: string;
let config: string;

/** Runs the CLI with an environment of its own: HOME is an empty directory unless given. */
async function run(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { HOME: join(dir, 'home'), ...env },
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-live-'));
  const alphaObjects = [...objectsOf(readFileSync(EXAMPLE, 'utf8')), ...(POLICIES as Obj[])];
  alphaState = join(dir, 'alpha.json');
  writeFileSync(alphaState, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: alphaObjects }));
  betaState = join(dir, 'beta.json');
  writeFileSync(betaState, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: PAYMENTS }));
  [alpha, beta] = await Promise.all([
    seeded(alphaObjects, 'alpha-token', 'alice'),
    seeded(PAYMENTS as Obj[], 'beta-token', 'bob'),
  ]);
  config = kubeconfig(join(dir, 'kubeconfig'), [
    { name: 'alpha', url: alpha.url, token: 'alpha-token', namespace: 'frontend' },
    { name: 'beta', url: beta.url, token: 'beta-token' },
  ]);
});

afterAll(async () => {
  await Promise.all([alpha?.close(), beta?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  alpha.clearFaults();
  beta.clearFaults();
});

describe('the live cluster gives the bytes of its state file', () => {
  it.each([
    [['matrix']],
    [['matrix', '--output', 'json']],
    [['matrix', '--output', 'jsonl', '--port', '53', '--protocol', 'UDP']],
    [['explain', '--from', FRONTEND, '--to', BACKEND, '--port', '80']],
    [['explain', '--from', BACKEND, '--to', FRONTEND, '--port', 'http']],
    [['show', 'backend']],
    [['show', 'frontend']],
  ])('%j', async (argv) => {
    const file = await run([...argv, '--state', alphaState]);
    expect(file).toMatchObject({ code: 0, stderr: '' });
    const live = await run([...argv, '--kubeconfig', config]);
    expect(live.code).toBe(0);
    expect(live.stdout).toBe(file.stdout);
    expect(live.stderr).toBe(
      `netpol: reading cluster "alpha-cluster" at ${alpha.url} (context "alpha", user "alpha-user", kubeconfig ${config})\n`,
    );
  });

  it("the answers are the cluster's: the deny and the allow both count", async () => {
    const matrix = JSON.parse((await run(['matrix', '--output', 'json', '--kubeconfig', config])).stdout);
    expect(matrix[FRONTEND][BACKEND]).toBe(true);
    expect(matrix['kube-system/coredns-5d78c9869d-x7k2p']?.[BACKEND] ?? false).toBe(false);
    const show = await run(['show', 'backend', '--kubeconfig', config]);
    expect(show.stdout).toContain('Ingress: all 1 pod isolated: only what a policy allows gets in');
    expect(show.stdout).toContain(
      'managed by netpol · requested by U0REQUEST1 · approved by U0APPROVE2 · r-live0000000001 · 2026-11-22 10:01 UTC',
    );
    expect(show.stdout).toContain('- default-deny-ingress (1 pod): ');
    expect(show.stdout).toContain('    not managed by netpol');
  });

  it('only lists: no watch, no write', async () => {
    const before = alpha.requests.length;
    expect((await run(['matrix', '--kubeconfig', config])).code).toBe(0);
    const made = alpha.requests.slice(before);
    expect(made.length).toBeGreaterThanOrEqual(3);
    expect(new Set(made.map((r) => `${r.method} ${r.verb ?? '-'}`))).toEqual(new Set(['GET list', 'GET -']));
    expect(made.filter((r) => r.verb === 'list').map((r) => r.resource)).toEqual(
      expect.arrayContaining(['namespaces', 'pods', 'networkpolicies']),
    );
  });
});

describe('which cluster', () => {
  it('--context picks the other cluster, and says so', async () => {
    const file = await run(['matrix', '--output', 'json', '--state', betaState]);
    const live = await run(['matrix', '--output', 'json', '--kubeconfig', config, '--context', 'beta']);
    expect(live.code).toBe(0);
    expect(live.stdout).toBe(file.stdout);
    expect(Object.keys(JSON.parse(live.stdout))).toEqual(['payments/ledger-0']);
    expect(live.stderr).toContain(`cluster "beta-cluster" at ${beta.url} (context "beta", user "beta-user"`);
    const show = await run(['show', 'payments', '--kubeconfig', config, '--context', 'beta']);
    expect(show.stdout).toBe((await run(['show', 'payments', '--state', betaState])).stdout);
    expect(show.stdout).toContain('Egress: all 1 pod isolated');
  });

  it('reads KUBECONFIG (several files, the first current-context wins) and ~/.kube/config', async () => {
    const onlyBeta = kubeconfig(join(dir, 'only-beta'), [
      { name: 'beta', url: beta.url, token: 'beta-token' },
    ]);
    const viaEnv = await run(['show', 'backend'], { KUBECONFIG: `${config}:${onlyBeta}` });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stderr).toContain('(context "alpha"');
    expect(viaEnv.stderr).toContain(`kubeconfig ${config}, ${onlyBeta})`);

    const home = join(dir, 'home-with-config');
    const kubeDir = join(home, '.kube');
    mkdirSync(kubeDir, { recursive: true });
    kubeconfig(join(kubeDir, 'config'), [{ name: 'beta', url: beta.url, token: 'beta-token' }]);
    const viaHome = await run(['show', 'payments'], { HOME: home });
    expect(viaHome.code).toBe(0);
    expect(viaHome.stderr).toContain(`kubeconfig ${join(kubeDir, 'config')})`);
  });

  it("-n, else the context's namespace, names the namespace for show and bare pods for explain", async () => {
    const frontend = await run(['show', 'frontend', '--kubeconfig', config]);
    expect((await run(['show', '--kubeconfig', config])).stdout).toBe(frontend.stdout);
    expect((await run(['show', '-n', 'frontend', '--state', alphaState])).stdout).toBe(frontend.stdout);
    const full = await run([
      'explain',
      '--from',
      FRONTEND,
      '--to',
      BACKEND,
      '--port',
      '80',
      '--kubeconfig',
      config,
    ]);
    const bare = await run([
      'explain',
      '--from',
      FRONTEND.split('/')[1]!,
      '--to',
      BACKEND,
      '--port',
      '80',
      '--kubeconfig',
      config,
    ]);
    expect(bare.stdout).toBe(full.stdout);
    const withN = await run([
      'explain',
      '-n',
      'backend',
      '--from',
      FRONTEND,
      '--to',
      BACKEND.split('/')[1]!,
      '--port',
      '80',
      '--state',
      alphaState,
    ]);
    expect(withN.stdout).toBe(full.stdout);
  });

  it('parse reads a cluster only when asked (--live), then answers questions', async () => {
    const before = alpha.requests.length;
    const offline = await run(['parse', 'deny ingress in backend', '--output', 'json'], {
      KUBECONFIG: config,
    });
    expect(offline.code).toBe(0);
    expect(alpha.requests.length).toBe(before);
    const question = `can ${FRONTEND} reach ${BACKEND} on 80`;
    const live = await run(['parse', question, '--live'], { KUBECONFIG: config });
    expect(live.code).toBe(0);
    expect(live.stdout).toBe((await run(['parse', question, '--state', alphaState])).stdout);
    expect(live.stdout).toContain('allowed');
  });
});

describe('what is wrong, in one line', () => {
  async function fails(argv: string[], env: Record<string, string> = {}) {
    const result = await run(argv, env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    // At most the "reading cluster" line, then the error.
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    return lines[lines.length - 1]!;
  }

  it('a token the API server refuses: 401, naming the user and the server', async () => {
    const wrong = kubeconfig(join(dir, 'wrong-token'), [
      { name: 'alpha', url: alpha.url, token: 'stale-token' },
    ]);
    expect(await fails(['matrix', '--kubeconfig', wrong])).toBe(
      `netpol: E_KUBE_UNAUTHORIZED: the Kubernetes API at ${alpha.url} (context "alpha") refused the credentials of user "alpha-user" (401 Unauthorized) (log in again (a token may have expired) or fix the user in the kubeconfig)`,
    );
  });

  it('a verb RBAC refuses: 403, naming the verb and the resource', async () => {
    alpha.failNext({ verb: 'list', resource: 'pods', status: 403 });
    const line = await fails(['show', 'backend', '--kubeconfig', config]);
    expect(line).toContain(
      'netpol: E_KUBE_FORBIDDEN: user "alpha-user" may not list pods on the Kubernetes API',
    );
    expect(line).toContain('User \\"alice\\" cannot list resource \\"pods\\"'.replace(/\\/g, ''));
    expect(line).toContain('ask for a ClusterRole');
  });

  it('a refused list of a grouped resource names its group', async () => {
    alpha.failNext({ verb: 'list', resource: 'networkpolicies', status: 403 });
    const line = await fails(['matrix', '--kubeconfig', config]);
    expect(line).toContain(
      'E_KUBE_FORBIDDEN: user "alpha-user" may not list networkpolicies.networking.k8s.io',
    );
  });

  it('a server that does not answer', async () => {
    const port = await closedPort();
    const gone = kubeconfig(join(dir, 'gone'), [
      { name: 'gone', url: `http://127.0.0.1:${port}`, token: 't' },
    ]);
    const line = await fails(['matrix', '--kubeconfig', gone]);
    expect(line).toMatch(
      new RegExp(
        `^netpol: E_KUBE_UNAVAILABLE: cannot reach the Kubernetes API at http://127.0.0.1:${port} \\(context "gone"\\): .*ECONNREFUSED`,
      ),
    );
  });

  it('a server that accepts but never answers: --request-timeout, and nothing left open', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      socket.resume(); // read (and drop) the request, so the client's close is seen
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const url = `http://127.0.0.1:${port}`;
      const mute = kubeconfig(join(dir, 'mute'), [{ name: 'mute', url, token: 't' }]);
      const line = await fails(['matrix', '--kubeconfig', mute, '--request-timeout', '300ms']);
      expect(line).toBe(
        `netpol: E_KUBE_UNAVAILABLE: no answer from the Kubernetes API at ${url} (context "mute") within 0.3 s (check that the cluster runs and is reachable from here (VPN, firewall), or raise --request-timeout)`,
      );
      // The requests were aborted, not abandoned: their connections close.
      await until(() => sockets.size === 0, 5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it.each([
    [
      ['matrix', '--kubeconfig', '<config>', '--context', 'gamma'],
      'E_KUBECONFIG: no context "gamma" in <config> (its contexts: alpha, beta)',
    ],
    [
      ['matrix'],
      'E_KUBECONFIG: no kubeconfig: no --kubeconfig, KUBECONFIG is not set and <home>/.kube/config does not exist',
    ],
    [['matrix', '--kubeconfig', '<dir>/missing'], 'E_KUBECONFIG: --kubeconfig <dir>/missing: no such file'],
    [
      ['show', 'backnd', '--kubeconfig', '<config>'],
      'E_UNKNOWN_NAMESPACE: no namespace "backnd" in the cluster (did you mean "backend"?)',
    ],
    [['matrix', '--state', '<dir>/alpha.json', '--context', 'beta'], 'E_USAGE: --state reads a file'],
    [
      ['parse', 'deny ingress in backend', '--live', '--state', '<dir>/alpha.json'],
      'E_USAGE: --state reads a file',
    ],
    [['show', '--state', '<dir>/alpha.json'], 'E_USAGE: show needs a namespace'],
    [
      ['matrix', '--kubeconfig', '<config>', '--request-timeout', 'soon'],
      'E_USAGE: --request-timeout "soon" is not a duration',
    ],
    [
      ['show', 'backend', '-n', 'frontend', '--kubeconfig', '<config>'],
      'E_USAGE: show backend and -n frontend name two namespaces',
    ],
  ])('%j', async (argv, expected) => {
    const subst = (text: string) =>
      text
        .replace(/<config>/g, config)
        .replace('<home>', join(dir, 'home'))
        .replace(/<dir>/g, dir);
    expect(await fails(argv.map(subst))).toContain(subst(expected));
  });

  it('a kubeconfig without a current context asks for --context', async () => {
    const none = kubeconfig(
      join(dir, 'no-current'),
      [{ name: 'alpha', url: alpha.url, token: 'alpha-token' }],
      undefined,
    );
    // kubeconfig() makes the first current unless told otherwise: write one without it.
    const doc = JSON.parse(readFileSync(none, 'utf8'));
    delete doc['current-context'];
    writeFileSync(none, JSON.stringify(doc));
    expect(await fails(['matrix', '--kubeconfig', none])).toContain(
      `E_KUBECONFIG: ${none} sets no current context (pick one with --context (its contexts: alpha))`,
    );
  });
});

/** Resolves once `condition` holds, checked on every turn of the event loop; rejects after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
