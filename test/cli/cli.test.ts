/**
 * The netpol CLI end to end, in-process through runCli (the same function the binary calls), on the
 * reference scenario in examples/, plus one run of the built binary when dist/ exists.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCliCaptured } from '../support/run-cli';

const EXAMPLE = join(__dirname, '../../examples/reference-cluster.yaml');
const FRONTEND = 'frontend/nginx-7c5ddbdf54-2xkqp';
const BACKEND = 'backend/nginx-6d4cf56db6-8p9wz';

const run = (...argv: string[]) => runCliCaptured(argv);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withPolicies(name: string, ...yamlDocs: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, [readFileSync(EXAMPLE, 'utf8'), ...yamlDocs].join('\n---\n'));
  return path;
}

describe('the reference scenario through the CLI', () => {
  it('everything flows, default-deny cuts frontend, the allow restores exactly that path', async () => {
    const open = JSON.parse((await run('matrix', '--state', EXAMPLE, '--output', 'json')).stdout);
    expect(open[FRONTEND][BACKEND]).toBe(true);

    const deny = await run('parse', 'deny ingress in backend', '--state', EXAMPLE);
    expect(deny.code).toBe(0);
    expect(deny.stderr).toContain('understood: deny ingress in backend');
    expect(deny.stderr).toContain('W001_NEW_ISOLATION');
    const denied = withPolicies('denied.yaml', deny.stdout);
    const afterDeny = JSON.parse((await run('matrix', '--state', denied, '--output', 'json')).stdout);
    expect(afterDeny[FRONTEND][BACKEND]).toBe(false);
    expect(afterDeny[BACKEND][BACKEND]).toBe(true);

    const allow = await run('parse', 'allow frontend nginx to backend', '--state', denied);
    expect(allow.code).toBe(0);
    expect(allow.stderr).toContain('understood: allow frontend/app=nginx to backend/* on any');
    expect(allow.stderr).toContain('Deployment frontend/nginx');
    const docs = parseAllDocuments(allow.stdout).map((d) => d.toJS());
    expect(docs).toHaveLength(1);
    expect(docs[0].spec).toEqual({
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
        },
      ],
    });
    const allowed = withPolicies('allowed.yaml', deny.stdout, allow.stdout);
    const afterAllow = JSON.parse((await run('matrix', '--state', allowed, '--output', 'json')).stdout);
    expect(afterAllow[FRONTEND][BACKEND]).toBe(true);
    expect(afterAllow['kube-system/coredns-5d78c9869d-abcde'][BACKEND]).toBe(false);

    const explain = await run(
      'explain',
      '--state',
      allowed,
      '--from',
      FRONTEND,
      '--to',
      BACKEND,
      '--port',
      'http',
    );
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain(`${FRONTEND} -> ${BACKEND} on TCP/80: ALLOWED`);
    expect(explain.stdout).toMatch(/ingress .*netpol-allow-frontend-nginx/);
  });

  it('prints JSON, a List when there are several objects', async () => {
    const one = await run('parse', 'deny ingress in backend', '--output', 'json');
    expect(JSON.parse(one.stdout).kind).toBe('NetworkPolicy');
    const two = await run('parse', 'allow frontend/app=a to backend/app=b both-sides', '--output', 'json');
    expect(JSON.parse(two.stdout)).toMatchObject({
      kind: 'List',
      items: [{ kind: 'NetworkPolicy' }, { kind: 'NetworkPolicy' }],
    });
  });

  it('prints a readable table', async () => {
    const { stdout, code } = await run('matrix', '--state', EXAMPLE, '--port', '53', '--protocol', 'udp');
    expect(code).toBe(0);
    expect(stdout).toContain('reachability on UDP/53');
    expect(stdout).toMatch(new RegExp(`1 backend/nginx-6d4cf56db6-8p9wz\\s+\\| \\. \\. \\.`));
  });

  it('answers questions from the state', async () => {
    const { stdout, code } = await run(
      'parse',
      `can ${FRONTEND.replace('/', '/pod/')} reach backend/nginx on 80`,
      '--state',
      EXAMPLE,
    );
    expect(code).toBe(0);
    expect(stdout).toContain('ALLOWED');
  });
});

describe('bad input: exit 2 and one line naming the problem', () => {
  it.each([
    [['parse', 'alow frontend to backend'], 'E_SYNTAX'],
    [['parse', 'allow frontend nginx to backnd', '--state', EXAMPLE], 'did you mean "backend"?'],
    [['parse', 'allow a to b', '--state', join('/nonexistent', 'x.yaml')], 'no such file'],
    [['parse', 'can a/b reach c/d'], 'needs the cluster state'],
    [['parse'], 'parse needs a request'],
    [['parse', 'allow', 'a', 'to', 'b'], 'quote the whole request'],
    [['parse', 'deny ingress in x', '--output', 'xml'], '--output "xml"'],
    [
      ['explain', '--state', EXAMPLE, '--from', 'frontend/ngin', '--to', BACKEND, '--port', '80'],
      'no pod "ngin"',
    ],
    [['explain', '--state', EXAMPLE, '--from', FRONTEND, '--to', BACKEND], '--port is required'],
    [
      ['explain', '--state', EXAMPLE, '--from', FRONTEND, '--to', BACKEND, '--port', 'https'],
      'no container port named "https"',
    ],
    [
      ['explain', '--state', EXAMPLE, '--from', FRONTEND, '--to', '203.0.113.9', '--port', 'http'],
      'names resolve only on a destination pod',
    ],
    [['matrix', '--state', EXAMPLE, '--port', '99999'], 'not a port number'],
    [['matrix', '--state', EXAMPLE, '--protocol', 'icmp'], 'not TCP, UDP or SCTP'],
    [['matrix', '--kubeconfig', join('/nonexistent', 'kubeconfig')], 'E_KUBECONFIG'],
    [['matrix', '--state', EXAMPLE, '--bogus'], 'E_USAGE'],
    [['frobnicate'], 'unknown command'],
  ])('%j', async (argv, fragment) => {
    const { code, stdout, stderr } = await run(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(fragment);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a broken state file with its line', async () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'kind: List\nitems:\n  - kind: Pod\n    metadata: {name: a, namespace: Bad}\n');
    const { code, stderr } = await run('matrix', '--state', path);
    expect(code).toBe(2);
    expect(stderr).toContain('broken.yaml:3: Pod Bad/a is invalid');
  });
});

describe('help', () => {
  it('prints usage and the grammar', async () => {
    expect((await run('--help')).stdout).toContain('netpol explain [CLUSTER]');
    const help = await run('help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/allow/);
  });
});
