/**
 * Client configuration for the stand-in: a kubeconfig document (for kubectl, and for anything that
 * reads `KUBECONFIG`) and a @kubernetes/client-node KubeConfig built from the same data. Over HTTPS
 * the stand-in's self-signed certificate is the cluster's CA. Over plain http client-node needs
 * `skipTLSVerify` (it refuses `http:` otherwise), so the document says `insecure-skip-tls-verify`;
 * kubectl, though, sends no credentials to an http cluster at all, so it needs the HTTPS stand-in.
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
  /** PEM of the certificate to trust, for an HTTPS stand-in. */
  caPem?: string;
}

const base64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');

const NAME = 'netpol-stand-in';

export function kubeconfigDocument(endpoint: StandInEndpoint): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: NAME,
        cluster:
          endpoint.caPem === undefined
            ? { server: endpoint.url, 'insecure-skip-tls-verify': true }
            : { server: endpoint.url, 'certificate-authority-data': base64(endpoint.caPem) },
      },
    ],
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
    clusters: [
      endpoint.caPem === undefined
        ? { name: NAME, server: endpoint.url, skipTLSVerify: true }
        : { name: NAME, server: endpoint.url, skipTLSVerify: false, caData: base64(endpoint.caPem) },
    ],
    users: [{ name: NAME, token: endpoint.token }],
    contexts: [{ name: NAME, cluster: NAME, user: NAME, namespace: endpoint.namespace ?? 'default' }],
    currentContext: NAME,
  });
  return kc;
}
