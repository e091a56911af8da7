/**
 * The hash an approval is bound to: sha256 over a canonical JSON of the policies (object keys
 * sorted at every level, array order kept), so a reordered but identical object hashes the same and
 * any change to what would be applied does not.
 */
import { createHash } from 'node:crypto';
import type { NetworkPolicy } from '../core/k8s/types';

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function policyHash(policies: readonly NetworkPolicy[]): string {
  return createHash('sha256').update(canonicalJson(policies)).digest('hex');
}
