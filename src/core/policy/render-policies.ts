/**
 * Renders policies as kubectl-ready YAML (documents separated by ---) or JSON (one object or a List).
 * The yaml library is loaded only for YAML output (see yaml-library.ts).
 */
import type { NetworkPolicy } from '../k8s/types';
import { yamlLibrary } from '../yaml-library';

export type OutputFormat = 'yaml' | 'json';

export function renderPolicies(policies: readonly NetworkPolicy[], format: OutputFormat): string {
  if (format === 'json') {
    const value = policies.length === 1 ? policies[0] : { apiVersion: 'v1', kind: 'List', items: policies };
    return `${JSON.stringify(value, null, 2)}\n`;
  }
  const { stringify } = yamlLibrary();
  return policies.map((p) => stringify(p, { lineWidth: 0 })).join('---\n');
}
