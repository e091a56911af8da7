/**
 * A real redis-server for one test file: its own free port and data directory (append-only file on,
 * so a restart keeps the data like a production Redis with persistence), stopped and removed in
 * afterAll. `restart()` stops and starts it on the same port and data, for "Redis restarted under a
 * pending request" scenarios. Readiness is awaited by PING with a deadline, never by sleeping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') {
        client.disconnect();
        return;
      }
    } catch (error) {
      lastError = error;
    }
    client.disconnect();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(
    `redis-server on port ${port} did not answer PING within ${deadlineMs} ms: ${String(lastError)}`,
  );
}

/** Servers still running, killed when this process exits however it ends (an aborted run leaves none). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function launch(port: number, dir: string): ChildProcess {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-redis-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let child = launch(port, dir);
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    try {
      await waitForPing(port, 10_000);
    } catch (error) {
      await stopChild(child);
      if (spawnError !== undefined) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(
          `cannot start redis-server (is it installed? bash scripts/test.sh installs it): ${spawnError.message}`,
        );
      }
      lastError = error;
      continue;
    }
    const server: TestRedis = {
      url: `redis://127.0.0.1:${port}`,
      port,
      dir,
      async stop() {
        await stopChild(child);
        rmSync(dir, { recursive: true, force: true });
      },
      async restart() {
        await stopChild(child);
        // After stop() too: its directory is gone, and redis-server needs one to start in.
        mkdirSync(dir, { recursive: true });
        child = launch(port, dir);
        await waitForPing(port, 10_000);
      },
    };
    return server;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`cannot start redis-server: ${String(lastError)}`);
}
