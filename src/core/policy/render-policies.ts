/** Renders policies as kubectl-ready YAML (documents separated by ---) or JSON (one object or a List). */
import { stringify } from 'yaml';
import type { NetworkPolicy } from '../k8s/types';

export type OutputFormat = 'yaml' | 'json';

export function renderPolicies(policies: readonly NetworkPolicy[], format: OutputFormat): string {
  if (format === 'json') {
    const value = policies.length === 1 ? policies[0] : { apiVersion: 'v1', kind: 'List', items: policies };
    return `${JSON.stringify(value, null, 2)}\n`;
  }
  return policies.map((p) => stringify(p, { lineWidth: 0 })).join('---\n');
}
