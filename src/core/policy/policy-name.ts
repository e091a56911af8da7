/**
 * Deterministic policy names: `netpol-<readable words>-<8 hex of the content hash>`, at most 63
 * characters. The hash covers the namespace and the spec, so the same request always names the same
 * object (server-side apply then changes nothing) and different requests never share a name.
 */
import { createHash } from 'node:crypto';
import type { NetworkPolicySpec } from '../k8s/types';

const PREFIX = 'netpol-';
const HASH_LENGTH = 8;
const MAX_NAME = 63;

export function contentHash(namespace: string, spec: NetworkPolicySpec): string {
  return createHash('sha256').update(JSON.stringify({ namespace, spec })).digest('hex');
}

export function policyName(nameHint: readonly string[], namespace: string, spec: NetworkPolicySpec): string {
  const hash = contentHash(namespace, spec).slice(0, HASH_LENGTH);
  const room = MAX_NAME - PREFIX.length - 1 - HASH_LENGTH;
  const slug = nameHint
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, room)
    .replace(/^-+|-+$/g, '');
  return slug === '' ? `${PREFIX}${hash}` : `${PREFIX}${slug}-${hash}`;
}
