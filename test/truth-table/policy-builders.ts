/**
 * Builders for the NetworkPolicies of the truth-table cases, with the semantics of upstream's
 * generator (test/e2e/network/netpol/policies.go): giving ingress rules (even none) adds `Ingress` to
 * `policyTypes`, giving egress rules adds `Egress`, in that order. The objects are plain API shapes,
 * so they serialise as-is into the state files the CLI tests write.
 */
import {
  NAMESPACE_NAME_LABEL,
  type IPBlock,
  type Labels,
  type LabelSelector,
  type LabelSelectorOperator,
  type NetworkPolicy,
  type NetworkPolicyEgressRule,
  type NetworkPolicyIngressRule,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type PolicyType,
  type Protocol,
} from '../../src/core/k8s/types';

export interface PolicySpecOptions {
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
  /** Overrides the types the rules imply, for cases that set them explicitly. */
  policyTypes?: PolicyType[];
}

export function netpol(
  name: string,
  namespace: string,
  podSelector: LabelSelector,
  options: PolicySpecOptions,
): NetworkPolicy {
  const policyTypes: PolicyType[] = options.policyTypes ?? [
    ...(options.ingress !== undefined ? (['Ingress'] as const) : []),
    ...(options.egress !== undefined ? (['Egress'] as const) : []),
  ];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace },
    spec: {
      podSelector,
      policyTypes,
      ...(options.ingress !== undefined ? { ingress: options.ingress } : {}),
      ...(options.egress !== undefined ? { egress: options.egress } : {}),
    },
  };
}

export function matchLabels(labels: Labels): LabelSelector {
  return { matchLabels: labels };
}

export function matchPod(pod: string): LabelSelector {
  return matchLabels({ pod });
}

/** `kubernetes.io/metadata.name` = namespace: the label the API server sets on every namespace. */
export function matchNamespaceName(namespace: string): LabelSelector {
  return matchLabels({ [NAMESPACE_NAME_LABEL]: namespace });
}

export function matchExpression(
  key: string,
  operator: LabelSelectorOperator,
  values: string[],
): LabelSelector {
  return { matchExpressions: [{ key, operator, values }] };
}

export function peer(fields: NetworkPolicyPeer): NetworkPolicyPeer {
  return fields;
}

export function ipBlock(cidr: string, except?: string[]): NetworkPolicyPeer {
  const block: IPBlock = except === undefined ? { cidr } : { cidr, except };
  return { ipBlock: block };
}

export function port(value: number | string, protocol?: Protocol): NetworkPolicyPort {
  return protocol === undefined ? { port: value } : { port: value, protocol };
}

export function portRange(first: number, last: number, protocol?: Protocol): NetworkPolicyPort {
  return protocol === undefined ? { port: first, endPort: last } : { port: first, endPort: last, protocol };
}

/** The host CIDR of one IPv4 address (upstream: `<podIP>/32`). */
export function hostCIDR(ip: string): string {
  return `${ip}/32`;
}

/**
 * The /4 network holding `ip`, in canonical form: upstream's `makeLargeCIDRForIP`, a block that
 * holds the pod and many, many others (every pod of the model: 10.1.x.y is inside 0.0.0.0/4).
 */
export function largeCIDRFor(ip: string): string {
  const octets = ip.split('.').map(Number);
  const first = (octets[0] as number) & 0xf0;
  return `${first}.0.0.0/4`;
}
