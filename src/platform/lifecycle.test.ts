/**
 * runProcess in a real child process, signalled as Kubernetes signals a pod. lifecycle.ts and
 * core/errors.ts are transpiled into a temporary directory (they import nothing at run time but each
 * other) next to a small child script whose service closes cleanly, or never.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';

const SRC = join(__dirname, '..');

const CHILD = `
const { runProcess } = require('./platform/lifecycle');
const { NetpolError } = require('./core/errors');
const mode = process.argv[2];
const line = (level) => (fields, msg) =>
  process.stdout.write(JSON.stringify({ level, ...fields, msg }) + '\\n');
runProcess({
  name: 'netpol-child',
  loadConfig: () => {
    if (mode === 'bad-config') throw new NetpolError('E_CONFIG', 'invalid child configuration (1 problem)');
    if (mode === 'crash') throw new TypeError('the config loader broke');
    return { mode };
  },
  createLog: () => ({ info: line('info'), warn: line('warn'), error: line('error') }),
  start: async (config, log) => {
    const alive = setInterval(() => {}, 60000);
    log.info({}, 'ready');
    return {
      close: () => {
        log.info({}, 'closing');
        if (config.mode === 'hang') return new Promise(() => {});
        clearInterval(alive);
        return new Promise((done) => setImmediate(done)).then(() => log.info({}, 'closed'));
      },
    };
  },
});
`;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-lifecycle-'));
  for (const module of ['platform/lifecycle', 'core/errors']) {
    const source = readFileSync(join(SRC, `${module}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    });
    mkdirSync(join(dir, module, '..'), { recursive: true });
    writeFileSync(join(dir, `${module}.js`), outputText);
  }
  writeFileSync(join(dir, 'child.js'), CHILD);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Child {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when stdout holds a line with this message; rejects after the deadline. */
  logged: (message: string) => Promise<void>;
}

const DEADLINE_MS = 15_000;

function startChild(mode: string): Child {
  const child = spawn(process.execPath, [join(dir, 'child.js'), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const check of [...waiters]) check();
  });
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('close', (code, signal) => done({ code, signal })),
  );
  const logged = (message: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${message}" within ${DEADLINE_MS} ms; stdout: ${out}`)),
        DEADLINE_MS,
      );
      const check = (): void => {
        if (!out.includes(`"msg":"${message}"`)) return;
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(check), 1);
        resolve();
      };
      waiters.push(check);
      check();
    });
  return { process: child, stdout: () => out, stderr: () => err, exited, logged };
}

async function exitWithin<T>(exited: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the child did not exit within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('runProcess', () => {
  test('SIGTERM closes the service and exits 0', async () => {
    const child = startChild('clean');
    await child.logged('ready');
    child.process.kill('SIGTERM');
    expect(await exitWithin(child.exited, DEADLINE_MS)).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toContain('"signal":"SIGTERM","msg":"shutting down"');
    expect(child.stdout()).toContain('"msg":"closed"');
  });

  test('SIGINT does the same', async () => {
    const child = startChild('clean');
    await child.logged('ready');
    child.process.kill('SIGINT');
    expect(await exitWithin(child.exited, DEADLINE_MS)).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toContain('"msg":"closed"');
  });

  test('a second signal while close hangs exits at once, non-zero', async () => {
    const child = startChild('hang');
    await child.logged('ready');
    child.process.kill('SIGTERM');
    await child.logged('closing');
    child.process.kill('SIGINT');
    const { code, signal } = await exitWithin(child.exited, DEADLINE_MS);
    expect(signal).toBeNull();
    expect(code).toBe(1);
    expect(child.stdout()).toContain('"msg":"second signal; exiting without waiting for work in progress"');
  });

  test('an invalid configuration is one line on stderr and exit status 2', async () => {
    const child = startChild('bad-config');
    expect(await exitWithin(child.exited, DEADLINE_MS)).toEqual({ code: 2, signal: null });
    expect(child.stderr()).toBe('netpol-child: E_CONFIG: invalid child configuration (1 problem)\n');
    expect(child.stdout()).toBe('');
  });

  test('anything else thrown at startup is a bug: its stack, exit status 1', async () => {
    const child = startChild('crash');
    expect(await exitWithin(child.exited, DEADLINE_MS)).toEqual({ code: 1, signal: null });
    expect(child.stderr()).toMatch(
      /^netpol-child: internal error: TypeError: the config loader broke\n\s+at /,
    );
  });
});
