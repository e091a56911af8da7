/** The `kube-stand-in` command (src/devtools/kube-stand-in.ts): arguments, state files, startup. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { main, parseArgs, parseStateText } from '../kube-stand-in';
import { netpolErrorOf } from '../../../test/support/netpol-error';

const STATE = `
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Namespace
    metadata: {name: backend}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: backend}
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: backend, labels: {app: api}}
status: {podIP: 10.244.0.7}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-frontend, namespace: backend}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{ports: [{port: 8080}]}]
`;

describe('arguments', () => {
  test('flags are read, with defaults', () => {
    expect(parseArgs(['--state', 's.yaml', '--port', '8001', '--kubeconfig', 'out', '--http'])).toEqual({
      state: 's.yaml',
      port: 8001,
      host: '127.0.0.1',
      kubeconfig: 'out',
      http: true,
    });
  });

  test.each([
    [['--port', 'x'], '--port must be a number from 0 to 65535, not "x"'],
    [['--state'], '--state needs a value'],
    [['--verbose'], 'unknown argument "--verbose"'],
  ])('%j is a usage error', (argv, message) => {
    const error = netpolErrorOf(() => parseArgs(argv));
    expect(error.code).toBe('E_USAGE');
    expect(error.message).toBe(message);
  });
});

describe('state files', () => {
  test('documents and Lists are read; kinds that are not served are counted', () => {
    const state = parseStateText(STATE, 'cluster.yaml');
    expect(state.objects.map((o) => (o as { kind: string }).kind)).toEqual([
      'Namespace',
      'Pod',
      'NetworkPolicy',
    ]);
    expect(state.skipped).toEqual({ 'apps/v1/Deployment': 1 });
  });

  test('a mapping of lists is read too', () => {
    const state = parseStateText(
      JSON.stringify({ namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } }] }),
      'cluster.json',
    );
    expect(state.objects).toHaveLength(1);
  });

  test('a YAML error names the line and column', () => {
    const error = netpolErrorOf(() => parseStateText('kind: Pod\nmetadata: {name: [x\n', 'bad.yaml'));
    expect(error.code).toBe('E_STATE');
    expect(error.message).toMatch(/^bad\.yaml:\d+:\d+: /);
  });

  test('an object without kind is refused', () => {
    expect(netpolErrorOf(() => parseStateText('metadata: {name: x}\n', 'x.yaml')).message).toBe(
      'x.yaml: object 1 has no apiVersion and kind',
    );
  });
});

describe('main', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-stand-in-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('serves the state file and writes a kubeconfig', async () => {
    await writeFile(join(dir, 'cluster.yaml'), STATE);
    const out: string[] = [];
    const err: string[] = [];
    const standIn = await main(
      ['--state', join(dir, 'cluster.yaml'), '--kubeconfig', join(dir, 'config'), '--http', '--token', 't0k'],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    try {
      expect(out).toEqual([standIn.url]);
      expect(err).toEqual([
        'kube-stand-in: skipped 1 apps/v1/Deployment (not served)',
        `kube-stand-in: kubeconfig written to ${join(dir, 'config')}`,
      ]);
      const config = parse(await readFile(join(dir, 'config'), 'utf8')) as {
        users: { user: { token: string } }[];
      };
      expect(config.users[0]?.user.token).toBe('t0k');
      const response = await fetch(`${standIn.url}/apis/networking.k8s.io/v1/networkpolicies`, {
        headers: { Authorization: 'Bearer t0k' },
      });
      const list = (await response.json()) as { items: { metadata: { name: string } }[] };
      expect(list.items.map((i) => i.metadata.name)).toEqual(['allow-frontend']);
    } finally {
      await standIn.close();
    }
  });

  test('an object the API would refuse is a state error with the API message', async () => {
    await writeFile(
      join(dir, 'bad.yaml'),
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: Bad, namespace: a}\nspec: {}\n',
    );
    await expect(
      main(['--state', join(dir, 'bad.yaml'), '--http'], { out: () => {}, err: () => {} }),
    ).rejects.toThrow(
      /bad\.yaml: seeding the stand-in failed: NetworkPolicy.networking.k8s.io "Bad" is invalid: metadata.name: Invalid value: "Bad"/,
    );
  });
});
