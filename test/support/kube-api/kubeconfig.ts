/**
 * Client configuration for the stand-in: a kubeconfig document (for kubectl, and for anything that
 * reads `KUBECONFIG`) and a @kubernetes/client-node KubeConfig built from the same data. The cluster
 * is plain http on loopback, which client-node only accepts with `skipTLSVerify` set (it refuses
 * `http:` otherwise), so the document says `insecure-skip-tls-verify: true`; kubectl accepts that too.
 */
import { writeFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { loadClientNode } from './client-node';

export interface StandInEndpoint {
  url: string;
  token: string;
  /** The context's default namespace. Default `default`. */
  namespace?: string;
}

const NAME = 'netpol-stand-in';

export function kubeconfigDocument(endpoint: StandInEndpoint): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: NAME, cluster: { server: endpoint.url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: NAME, user: { token: endpoint.token } }],
    contexts: [
      { name: NAME, context: { cluster: NAME, user: NAME, namespace: endpoint.namespace ?? 'default' } },
    ],
    'current-context': NAME,
    preferences: {},
  };
}

export function kubeconfigYaml(endpoint: StandInEndpoint): string {
  return stringify(kubeconfigDocument(endpoint));
}

export async function writeKubeconfigFile(path: string, endpoint: StandInEndpoint): Promise<void> {
  await writeFile(path, kubeconfigYaml(endpoint), { mode: 0o600 });
}

/**
 * A client-node KubeConfig for the stand-in. client-node is loaded here, on first use, not at import:
 * it needs a newer Node than the rest of the stand-in (client-node.ts), so a test over raw HTTP or the
 * CLI keeps working where client-node cannot load.
 */
export function clientKubeConfig(endpoint: StandInEndpoint): KubeConfig {
  const client = loadClientNode();
  const kc = new client.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: NAME, server: endpoint.url, skipTLSVerify: true }],
    users: [{ name: NAME, token: endpoint.token }],
    contexts: [{ name: NAME, cluster: NAME, user: NAME, namespace: endpoint.namespace ?? 'default' }],
    currentContext: NAME,
  });
  return kc;
}
