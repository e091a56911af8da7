/**
 * What the request keywords mean as NetworkPolicy peers (REFERENCE.md §2.3). The cluster-specific
 * parts (pod/service CIDRs, where DNS runs) come from options so one deployment can correct them.
 */
import { NAMESPACE_NAME_LABEL, type NetworkPolicyPeer, type NetworkPolicyPort } from '../k8s/types';

export interface KeywordOptions {
  /** CIDRs that belong to the cluster (pods, Services, nodes): `world` excludes them. */
  clusterCidrs: string[];
  /** Where the cluster DNS runs and the pod port it listens on (53; 5353 on OpenShift). */
  dns: { namespace: string; podLabels: Record<string, string>; port: number };
}

export const DEFAULT_KEYWORD_OPTIONS: KeywordOptions = Object.freeze({
  clusterCidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  dns: { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' }, port: 53 },
});

/** Addresses that are never "the public internet": private, carrier-grade NAT, link-local (cloud metadata), loopback. */
const NON_PUBLIC_V4 = [
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
];
const NON_PUBLIC_V6 = ['::1/128', 'fc00::/7', 'fe80::/10'];

export function dnsPeer(options: KeywordOptions): NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: options.dns.namespace } },
    podSelector: { matchLabels: { ...options.dns.podLabels } },
  };
}

/** DNS answers over UDP, and over TCP for responses larger than 512 bytes. */
export function dnsPorts(options: KeywordOptions): NetworkPolicyPort[] {
  return [
    { protocol: 'UDP', port: options.dns.port },
    { protocol: 'TCP', port: options.dns.port },
  ];
}

export function clusterPeer(): NetworkPolicyPeer {
  return { namespaceSelector: {} };
}

export function worldPeers(options: KeywordOptions): NetworkPolicyPeer[] {
  const v4 = options.clusterCidrs.filter((c) => !c.includes(':')).sort();
  const v6 = options.clusterCidrs.filter((c) => c.includes(':')).sort();
  return [ipBlockPeer('0.0.0.0/0', v4), ipBlockPeer('::/0', v6)];
}

export function publicPeers(): NetworkPolicyPeer[] {
  return [ipBlockPeer('0.0.0.0/0', NON_PUBLIC_V4), ipBlockPeer('::/0', NON_PUBLIC_V6)];
}

export function ipBlockPeer(cidr: string, except: readonly string[]): NetworkPolicyPeer {
  return except.length > 0 ? { ipBlock: { cidr, except: [...except] } } : { ipBlock: { cidr } };
}
