/**
 * The reachability matrix as text for machines, produced row by row in chunks, so the output's
 * size, not memory, bounds a big cluster: no object with a key per pair, no JSON.stringify of the
 * whole. Pure generators; the command writes each chunk and waits for the stream to drain.
 *
 * - JSON: byte for byte what `JSON.stringify(matrix.toJSON())` gave, plus a newline:
 *   {"ns/a":{"ns/a":true,"ns/b":false},...}. Pod keys ("ns/pod") are never integer-like, so object
 *   key order was the sorted pod order this writes.
 * - JSON lines, the compact form: one line per source pod listing the pods it may reach (itself
 *   included, as in the JSON): {"from":"ns/a","to":["ns/a","ns/c"]}.
 */
import type { ReachabilityMatrix } from '../core/evaluator';

/** Chunks grow to about this many bytes (characters, JSON lines) before they are handed out. */
const CHUNK_SIZE = 64 * 1024;

const FALSE = 'false';
const TRUE = 'true';
const [OPEN, CLOSE, COMMA, COLON, NEWLINE] = [0x7b, 0x7d, 0x2c, 0x3a, 0x0a];

/**
 * The JSON matrix as UTF-8 bytes, in chunks of about `chunkBytes` (whole rows). Each chunk is a view
 * of one buffer that is reused: it holds its bytes only until the generator is resumed, so write it,
 * and wait until it is written, before asking for the next (matrix-command.ts does).
 *
 * Why so: the JSON is pods^2 cells (32 MB at 1,000 pods), and as strings (one per cell, or slices
 * of a template) it was most of the command's time, spent on the strings, their garbage and their
 * encoding on write. Every row is the same text, `"ns/a":false,"ns/b":false,...`, but for the few
 * cells that are true; so that text is encoded once, and a row is its runs between the true cells
 * with `true` in them, copied inside one buffer (copyWithin: no allocation, no encoding). The work
 * per row grows with the pods it reaches; bytes are copied once.
 */
export function* matrixJsonChunks(
  matrix: ReachabilityMatrix,
  chunkBytes = CHUNK_SIZE,
): Generator<Uint8Array> {
  const cells = matrix.pods.map((key) => `${JSON.stringify(key)}:${FALSE}`);
  // Byte offsets in the all-false row: where each cell starts, and where its `false` does.
  const cellAt = new Uint32Array(cells.length);
  const valueAt = new Uint32Array(cells.length);
  let rowBytes = 0;
  let longestCell = 0;
  cells.forEach((cell, i) => {
    const bytes = Buffer.byteLength(cell);
    cellAt[i] = rowBytes + (i === 0 ? 0 : 1);
    rowBytes = cellAt[i] + bytes;
    valueAt[i] = rowBytes - FALSE.length;
    longestCell = Math.max(longestCell, bytes);
  });
  // One buffer: the all-false row, `true`, then room for a chunk plus the longest row and the end.
  const trueAt = rowBytes;
  const out = trueAt + TRUE.length;
  const work = Buffer.allocUnsafeSlow(out + chunkBytes + rowBytes + longestCell + 8);
  work.write(cells.join(','), 0, 'utf8');
  work.write(TRUE, trueAt, 'latin1');
  let end = out;
  const copy = (from: number, to: number) => {
    work.copyWithin(end, from, to);
    end += to - from;
  };

  for (let from = 0; from < cells.length; from++) {
    work[end++] = from === 0 ? OPEN : COMMA;
    copy(cellAt[from]!, valueAt[from]! - 1); // the quoted key
    work[end++] = COLON;
    work[end++] = OPEN;
    let at = 0;
    for (const to of matrix.reachableFrom(from)) {
      copy(at, valueAt[to]!);
      copy(trueAt, trueAt + TRUE.length);
      at = valueAt[to]! + FALSE.length;
    }
    copy(at, rowBytes);
    work[end++] = CLOSE;
    if (end - out >= chunkBytes) {
      yield work.subarray(out, end);
      end = out;
    }
  }
  if (cells.length === 0) work[end++] = OPEN;
  work[end++] = CLOSE;
  work[end++] = NEWLINE;
  yield work.subarray(out, end);
}

export function* matrixJsonLines(matrix: ReachabilityMatrix, chunkChars = CHUNK_SIZE): Generator<string> {
  const quoted = matrix.pods.map((key) => JSON.stringify(key));
  let chunk = '';
  for (let from = 0; from < quoted.length; from++) {
    const reachable = matrix.reachableFrom(from).map((to) => quoted[to]!);
    chunk += `{"from":${quoted[from]},"to":[${reachable.join(',')}]}\n`;
    if (chunk.length >= chunkChars) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
