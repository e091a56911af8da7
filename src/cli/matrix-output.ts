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

/** Chunks grow to about this many characters before they are handed out. */
const CHUNK_CHARS = 64 * 1024;
const FALSE = 'false';

/**
 * Why a template: the JSON is pods^2 cells (32 MB at 1,000 pods), and a string per cell, joined,
 * was most of the command's time. Every row is the same text, `"ns/a":false,"ns/b":false,...`, but
 * for the cells that are true, and few are; so that text is made once and each row is its runs
 * between the true cells (slices share the template's characters) with `true` in them: the work
 * per row grows with the pods it reaches, and the characters are copied once, when written.
 */
export function* matrixJsonChunks(matrix: ReachabilityMatrix, chunkChars = CHUNK_CHARS): Generator<string> {
  const cells = matrix.pods.map((key) => `${JSON.stringify(key)}:false`);
  const falseRow = cells.join(',');
  // Where each cell starts in falseRow, and where its `false` does.
  const cellAt = new Uint32Array(cells.length);
  const valueAt = new Uint32Array(cells.length);
  let offset = 0;
  cells.forEach((cell, i) => {
    cellAt[i] = offset;
    offset += cell.length + 1; // and the comma
    valueAt[i] = offset - 1 - FALSE.length;
  });
  let chunk = '{';
  for (let from = 0; from < cells.length; from++) {
    let row = `${from === 0 ? '' : ','}${falseRow.slice(cellAt[from]!, valueAt[from]! - 1)}:{`;
    let at = 0;
    for (const to of matrix.reachableFrom(from)) {
      row += `${falseRow.slice(at, valueAt[to]!)}true`;
      at = valueAt[to]! + FALSE.length;
    }
    chunk += `${row}${falseRow.slice(at)}}`;
    if (chunk.length >= chunkChars) {
      yield chunk;
      chunk = '';
    }
  }
  yield `${chunk}}\n`;
}

export function* matrixJsonLines(matrix: ReachabilityMatrix, chunkChars = CHUNK_CHARS): Generator<string> {
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
