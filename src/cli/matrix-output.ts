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

export function* matrixJsonChunks(matrix: ReachabilityMatrix, chunkChars = CHUNK_CHARS): Generator<string> {
  const quoted = matrix.pods.map((key) => JSON.stringify(key));
  const allowedCell = quoted.map((key) => `${key}:true`);
  const deniedCell = quoted.map((key) => `${key}:false`);
  const cells = new Array<string>(quoted.length);
  let chunk = '{';
  for (let from = 0; from < quoted.length; from++) {
    for (let to = 0; to < quoted.length; to++) {
      cells[to] = matrix.allowed(from, to) ? allowedCell[to]! : deniedCell[to]!;
    }
    chunk += `${from === 0 ? '' : ','}${quoted[from]}:{${cells.join(',')}}`;
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
    const reachable: string[] = [];
    for (let to = 0; to < quoted.length; to++) if (matrix.allowed(from, to)) reachable.push(quoted[to]!);
    chunk += `{"from":${quoted[from]},"to":[${reachable.join(',')}]}\n`;
    if (chunk.length >= chunkChars) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
