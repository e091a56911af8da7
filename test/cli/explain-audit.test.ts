/**
 * `netpol explain` with a policy in audit mode (issue 10): the verdict leaves it out, as the agents
 * do, and says what it would change once enforced, in the words `can` and `/netpol explain` use.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliCaptured } from '../support/run-cli';

const EXAMPLE = join(__dirname, '../../examples/reference-cluster.yaml');
const FRONTEND = 'frontend/nginx-7c5ddbdf54-2xkqp';
const BACKEND = 'backend/nginx-6d4cf56db6-8p9wz';

const run = (...argv: string[]) => runCliCaptured(argv);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-cli-audit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('explain says a policy in audit mode would block the connection once enforced', async () => {
  const audit = await run('parse', 'deny ingress in backend --audit 1h', '--state', EXAMPLE);
  expect(audit.code).toBe(0);
  expect(audit.stdout).toContain('netpol.io/audit: 1h');
  const name = /name: (netpol-\S+)/.exec(audit.stdout)?.[1];
  const state = join(dir, 'audited.yaml');
  writeFileSync(state, [readFileSync(EXAMPLE, 'utf8'), audit.stdout].join('\n---\n'));

  const explain = await run('explain', '--state', state, '--from', FRONTEND, '--to', BACKEND, '--port', '80');
  expect(explain.code).toBe(0);
  expect(explain.stdout).toContain(`${FRONTEND} -> ${BACKEND} on TCP/80: ALLOWED`);
  expect(explain.stdout).toContain(
    `  audit   backend/${name} is in audit mode and would block it once enforced\n`,
  );

  // Out of backend: a policy auditing backend's ingress changes nothing there, so no note.
  const out = await run('explain', '--state', state, '--from', BACKEND, '--to', FRONTEND, '--port', '80');
  expect(out.stdout).toContain(`${BACKEND} -> ${FRONTEND} on TCP/80: ALLOWED`);
  expect(out.stdout).not.toContain('audit');
});
