/**
 * `netpol matrix --output json|jsonl` streamed row by row: the JSON is byte for byte what the whole-
 * matrix JSON.stringify printed before streaming (on the reference cluster, the committed xyz state
 * and every truth-table case), the JSON lines say the same thing compactly, and the command waits for
 * the stream to drain between chunks, so memory is bounded by a chunk, not by the matrix.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/main';
import { matrixJsonChunks, matrixJsonLines } from '../../src/cli/matrix-output';
import { backPressuredWriter } from '../../src/cli/stdout-writer';
import type { CliIo } from '../../src/cli/cli-io';
import { buildPolicyIndex, computeMatrix } from '../../src/core/evaluator';
import { parseState } from '../../src/core/state/load-state';
import { caseState, TRUTH_TABLE_CASES } from '../truth-table/cases';
import { toKubeList } from '../truth-table/kube-list';

const EXAMPLE = join(__dirname, '../../examples/reference-cluster.yaml');
const XYZ = join(__dirname, '../truth-table/xyz-state.yaml');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-matrix-stream-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[], io: Partial<CliIo> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    ...io,
  });
  if (code !== 0) throw new Error(`netpol ${argv.join(' ')} exited ${code}: ${stderr}`);
  return stdout;
}

/** What `matrix --output json` printed before it streamed: the whole matrix through JSON.stringify. */
function wholeMatrixJson(file: string, port: number, protocol: 'TCP' | 'UDP' | 'SCTP'): string {
  const state = parseState(readFileSync(file, 'utf8'), file);
  return `${JSON.stringify(computeMatrix(buildPolicyIndex(state), { port, protocol }).toJSON())}\n`;
}

/** A cluster of `pods` pods in namespaces of 20, half of them isolated by a policy: many chunks. */
function bigStateFile(pods: number): string {
  const items: unknown[] = [];
  for (let i = 0; i < pods; i++) {
    const namespace = `team-${Math.floor(i / 20)}`;
    items.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, namespace, labels: { app: `a${i % 4}` } },
      status: { podIP: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}` },
    });
  }
  for (let n = 0; n < pods / 20; n += 2) {
    items.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'only-a0', namespace: `team-${n}` },
      spec: { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'a0' } } }] }] },
    });
  }
  const path = join(dir, `big-${pods}.json`);
  writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  return path;
}

describe('netpol matrix --output json, streamed', () => {
  it('prints the same bytes as the whole-matrix JSON on the reference cluster and the xyz state', async () => {
    for (const file of [EXAMPLE, XYZ]) {
      expect(await run(['matrix', '--state', file, '--output', 'json'])).toBe(
        wholeMatrixJson(file, 80, 'TCP'),
      );
    }
  });

  it('prints the same bytes as the whole-matrix JSON on every truth-table case', async () => {
    for (const [i, c] of TRUTH_TABLE_CASES.entries()) {
      const file = join(dir, `case-${i}.yaml`);
      writeFileSync(file, stringify(toKubeList(caseState(c))));
      const argv = ['matrix', '--state', file, '--port', String(c.port), '--protocol', c.protocol];
      expect(await run([...argv, '--output', 'json'])).toBe(wholeMatrixJson(file, c.port, c.protocol));
    }
  });

  it('gives the same text whatever the chunk size, and {} for a cluster without pods', () => {
    const state = parseState(readFileSync(EXAMPLE, 'utf8'));
    const matrix = computeMatrix(buildPolicyIndex(state), { port: 80, protocol: 'TCP' });
    const whole = `${JSON.stringify(matrix.toJSON())}\n`;
    // A chunk is valid until the generator resumes (its buffer is reused): copy each one.
    const text = (chunks: Iterable<Uint8Array>) =>
      Buffer.concat(Array.from(chunks, (chunk) => Buffer.from(chunk))).toString('utf8');
    for (const size of [1, 100, 1 << 20]) expect(text(matrixJsonChunks(matrix, size))).toBe(whole);
    const empty = computeMatrix(buildPolicyIndex(parseState('')), { port: 80, protocol: 'TCP' });
    expect(text(matrixJsonChunks(empty))).toBe('{}\n');
    expect([...matrixJsonLines(empty)].join('')).toBe('');
  });

  it('waits for the stream to drain before writing the next chunk, each chunk a bounded slice', async () => {
    const file = bigStateFile(400);
    const chunks: Buffer[] = [];
    let outstanding = 0;
    let mostOutstanding = 0;
    const release: (() => void)[] = [];
    const done = run(['matrix', '--state', file, '--output', 'json'], {
      writeStdout: (chunk) => {
        chunks.push(Buffer.from(chunk)); // a copy: the command reuses its buffer once this resolves
        outstanding++;
        mostOutstanding = Math.max(mostOutstanding, outstanding);
        return new Promise<void>((resolve) => release.push(() => (outstanding--, resolve())));
      },
    });
    // Drain one chunk at a time, only once the command is waiting on it.
    const deadline = Date.now() + 20_000;
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      if (Date.now() > deadline) throw new Error('matrix did not finish');
      const next = release.shift();
      if (next !== undefined) next();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await done).toBe('');
    expect(mostOutstanding).toBe(1);
    expect(chunks.length).toBeGreaterThan(10);
    const rowBytes = 400 * '"team-19/pod-399":false,'.length;
    for (const chunk of chunks) expect(chunk.length).toBeLessThan(64 * 1024 + rowBytes);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(wholeMatrixJson(file, 80, 'TCP'));
  });
});

describe('netpol matrix --output jsonl', () => {
  it('prints one line per source pod with the pods it may reach, as the JSON says', async () => {
    for (const file of [EXAMPLE, bigStateFile(60)]) {
      const json = JSON.parse(await run(['matrix', '--state', file, '--output', 'json'])) as Record<
        string,
        Record<string, boolean>
      >;
      const lines = (await run(['matrix', '--state', file, '--output', 'jsonl'])).split('\n');
      expect(lines.pop()).toBe('');
      const rows = lines.map((line) => JSON.parse(line) as { from: string; to: string[] });
      expect(rows.map((r) => r.from)).toEqual(Object.keys(json));
      for (const row of rows) {
        expect(row.to).toEqual(Object.keys(json[row.from]!).filter((to) => json[row.from]![to]));
        expect(row.to).toContain(row.from);
      }
    }
  });

  it('is named in the usage', async () => {
    expect(await run(['--help'])).toContain('--output table|json|jsonl');
  });
});

describe('backPressuredWriter', () => {
  it('resolves a write once a slow stream has written it: one chunk buffered at most, its bytes reusable then', async () => {
    const received: string[] = [];
    let mostBuffered = 0;
    const stream = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        // Read the bytes only later, as a slow stream would.
        setImmediate(() => {
          received.push(chunk.toString());
          callback();
        });
      },
    });
    const write = backPressuredWriter(stream);
    const reused = Buffer.alloc(700);
    for (let i = 0; i < 50; i++) {
      reused.fill(`${i % 10}`);
      await write(reused);
      mostBuffered = Math.max(mostBuffered, stream.writableLength);
    }
    expect(mostBuffered).toBe(0);
    await new Promise<void>((resolve) => stream.end(resolve));
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => `${i % 10}`.repeat(700)));
  });

  it("resolves a failed write too, leaving the failure to the stream's error event", async () => {
    const errors: Error[] = [];
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    stream.on('error', (error) => errors.push(error));
    await backPressuredWriter(stream)('lost');
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors.map((e) => e.message)).toEqual(['write EPIPE']);
  });
});
