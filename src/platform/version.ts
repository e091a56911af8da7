/**
 * netpol's version, as package.json states it, for heartbeats and `netpol status`: read once from the
 * package.json named "netpol" above this file (the source tree, dist/, or the image's /app alike).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from './entry-point';

let cached: string | undefined;

/** `0.1.0`, or `unknown` when no package.json of netpol is found. */
export function netpolVersion(): string {
  if (cached !== undefined) return cached;
  const root = findRepoRoot(__dirname);
  try {
    const manifest = JSON.parse(readFileSync(join(root ?? '.', 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    cached = root !== null && typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}
