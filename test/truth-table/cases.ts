/**
 * Truth-table cases transcribed from Kubernetes' netpol e2e suite
 * (kubernetes/kubernetes test/e2e/network/netpol/network_policy.go), over the full 3x3 xyz model.
 *
 * Each case is one probe of upstream's: the cluster state at that point of the test (label updates,
 * policy creations, updates and deletions applied), the port and protocol probed, and the expected
 * 9x9 matrix, stated with the Reachability helper exactly as the upstream test states it. Upstream
 * tests that probe several times give several cases, told apart by `step`. Cases netpol adds around
 * an upstream test (other protocols, port ranges) keep the upstream title and say what they vary in
 * `variant`.
 */
import type { ClusterState } from '../../src/core/state/cluster-state';
import type { Labels, NetworkPolicy, Protocol } from '../../src/core/k8s/types';
import { Reachability } from './reachability';
import { podIP, XYZ_PODS, xyzStateWith } from './xyz-model';
import {
  hostCIDR,
  ipBlock,
  largeCIDRFor,
  matchExpression,
  matchLabels,
  matchNamespaceName,
  matchPod,
  netpol,
  port,
  portRange,
} from './policy-builders';

export type UpstreamSuite = 'TCP' | 'UDP' | 'SCTP';

export interface TruthTableCase {
  /** The upstream `It(...)` title, verbatim. */
  upstream: string;
  /** Upstream's Describe block: the TCP suite ("NetworkPolicy between server and client"), UDP or SCTP. */
  suite: UpstreamSuite;
  /** Which probe of a multi-step upstream test this is. */
  step?: string;
  /** For cases netpol adds around an upstream test: what differs from it. */
  variant?: string;
  port: number;
  protocol: Protocol;
  namespaceLabels?: Record<string, Labels>;
  podLabels?: Record<string, Labels>;
  policies: NetworkPolicy[];
  /** Upstream's expectation, applied to a Reachability that starts all-allowed. */
  expect: (r: Reachability) => void;
}

export function caseTitle(c: TruthTableCase): string {
  const parts = [c.suite === 'TCP' ? c.upstream : `[${c.suite}] ${c.upstream}`];
  if (c.step !== undefined) parts.push(`(${c.step})`);
  if (c.variant !== undefined) parts.push(`{variant: ${c.variant}}`);
  parts.push(`@ ${c.protocol}/${c.port}`);
  return parts.join(' ');
}

export function caseState(c: TruthTableCase): ClusterState {
  return xyzStateWith({ namespaceLabels: c.namespaceLabels, podLabels: c.podLabels, policies: c.policies });
}

export function expectedReachability(c: TruthTableCase): Reachability {
  const r = new Reachability(XYZ_PODS, true);
  c.expect(r);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Policies shared by several upstream tests.

const denyIngressX = (name = 'deny-ingress'): NetworkPolicy => netpol(name, 'x', {}, { ingress: [] });
const denyAllX = (): NetworkPolicy => netpol('deny-all', 'x', {}, { ingress: [], egress: [] });

/** "should enforce policy based on Ports": x/a admits namespace y on exactly one port. */
const allowYOnPort = (name: string, p: number, protocol: Protocol): NetworkPolicy =>
  netpol(name, 'x', matchPod('a'), {
    ingress: [{ from: [{ namespaceSelector: matchNamespaceName('y') }], ports: [port(p, protocol)] }],
  });

const allowFromYPodA = (): NetworkPolicy =>
  netpol('allow-ns-y-pod-a-via-namespace-pod-selector', 'x', matchPod('a'), {
    ingress: [{ from: [{ namespaceSelector: matchNamespaceName('y'), podSelector: matchPod('a') }] }],
  });

const allowFromNsY = (name: string): NetworkPolicy =>
  netpol(name, 'x', matchPod('a'), { ingress: [{ from: [{ namespaceSelector: matchNamespaceName('y') }] }] });

// Expectations shared by several upstream tests.

/** Nothing but namespace y reaches x/a. */
const onlyNsYToXA = (r: Reachability): void => {
  r.expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false);
  r.expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false);
};

/** The ALLOW expectation of the port tests: namespace y alone reaches x/a. */
const portAllowed = (r: Reachability): void => {
  r.expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false);
  r.expectPeer({ namespace: 'y' }, { namespace: 'x', pod: 'a' }, true);
  r.expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false);
};

const nothingToXA = (r: Reachability): void => {
  r.expectAllIngress('x/a', false);
};

const onlyYAToXA = (r: Reachability): void => {
  r.expectAllIngress('x/a', false);
  r.expect('y/a', 'x/a', true);
};

const allAllowed = (): void => undefined;

// ---------------------------------------------------------------------------------------------

const TCP_SUITE: TruthTableCase[] = [
  {
    upstream: "should support a 'default-deny-ingress' policy",
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [denyIngressX()],
    expect: (r) => r.expectPeer({}, { namespace: 'x' }, false),
  },
  {
    upstream: "should support a 'default-deny-all' policy",
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [denyAllX()],
    expect: (r) => {
      r.expectPeer({}, { namespace: 'x' }, false);
      r.expectPeer({ namespace: 'x' }, {}, false);
    },
  },
  {
    upstream: 'should enforce policy to allow traffic from pods within server namespace based on PodSelector',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('x-a-allows-x-b', 'x', matchPod('a'), { ingress: [{ from: [{ podSelector: matchPod('b') }] }] }),
    ],
    expect: (r) => {
      r.expectAllIngress('x/a', false);
      r.expect('x/b', 'x/a', true);
    },
  },
  {
    upstream: 'should enforce policy to allow ingress traffic for a target',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      denyIngressX('deny-all'),
      netpol('allow-all-to-a', 'x', matchPod('a'), {
        ingress: [{ from: [{ podSelector: {}, namespaceSelector: {} }] }],
      }),
    ],
    expect: (r) => {
      r.expectAllIngress('x/a', true);
      r.expectAllIngress('x/b', false);
      r.expectAllIngress('x/c', false);
    },
  },
  {
    upstream: 'should enforce policy to allow ingress traffic from pods in all namespaces',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-from-another-ns', 'x', matchPod('a'), {
        ingress: [{ from: [{ namespaceSelector: { matchLabels: {} } }] }],
      }),
    ],
    expect: allAllowed,
  },
  {
    upstream:
      'should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [allowFromNsY('allow-client-a-via-ns-selector')],
    expect: onlyNsYToXA,
  },
  {
    upstream: 'should enforce policy based on PodSelector with MatchExpressions',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('x-a-allows-x-b', 'x', matchPod('a'), {
        ingress: [{ from: [{ podSelector: matchExpression('pod', 'In', ['b']) }] }],
      }),
    ],
    expect: (r) => {
      r.expectAllIngress('x/a', false);
      r.expect('x/b', 'x/a', true);
    },
  },
  {
    upstream: 'should enforce policy based on NamespaceSelector with MatchExpressions',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-ns-y-match-selector', 'x', matchPod('a'), {
        ingress: [
          { from: [{ namespaceSelector: matchExpression('kubernetes.io/metadata.name', 'In', ['y']) }] },
        ],
      }),
    ],
    expect: onlyNsYToXA,
  },
  {
    upstream: 'should enforce policy based on PodSelector or NamespaceSelector',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-ns-y-match-selector', 'x', matchPod('a'), {
        ingress: [
          {
            from: [
              { namespaceSelector: matchExpression('kubernetes.io/metadata.name', 'NotIn', ['x']) },
              { podSelector: matchPod('b') },
            ],
          },
        ],
      }),
    ],
    expect: (r) => {
      r.expect('x/a', 'x/a', false); // loopback: ignored upstream, always allowed here
      r.expect('x/c', 'x/a', false);
    },
  },
  {
    upstream: 'should enforce policy based on PodSelector and NamespaceSelector',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-ns-y-podselector-and-nsselector', 'x', matchPod('a'), {
        ingress: [
          {
            from: [
              {
                namespaceSelector: matchExpression('kubernetes.io/metadata.name', 'NotIn', ['x']),
                podSelector: matchPod('b'),
              },
            ],
          },
        ],
      }),
    ],
    expect: (r) => {
      r.expectAllIngress('x/a', false);
      r.expect('y/b', 'x/a', true);
      r.expect('z/b', 'x/a', true);
    },
  },
  {
    upstream: 'should enforce policy based on Multiple PodSelectors and NamespaceSelectors',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-ns-y-z-pod-b-c', 'x', matchPod('a'), {
        ingress: [
          {
            from: [
              {
                namespaceSelector: matchExpression('kubernetes.io/metadata.name', 'NotIn', ['x']),
                podSelector: matchExpression('pod', 'In', ['b', 'c']),
              },
            ],
          },
        ],
      }),
    ],
    expect: (r) => {
      r.expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false);
      r.expect('y/a', 'x/a', false);
      r.expect('z/a', 'x/a', false);
    },
  },
  {
    upstream: 'should enforce policy based on any PodSelectors',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-ns-x-pod-b-c', 'x', matchPod('a'), {
        ingress: [{ from: [{ podSelector: matchPod('b') }, { podSelector: matchPod('c') }] }],
      }),
    ],
    expect: (r) => {
      r.expectAllIngress('x/a', false);
      r.expect('x/b', 'x/a', true);
      r.expect('x/c', 'x/a', true);
    },
  },
  {
    upstream:
      'should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [allowFromYPodA()],
    expect: onlyYAToXA,
  },
  {
    upstream: 'should enforce policy based on Ports',
    suite: 'TCP',
    port: 81,
    protocol: 'TCP',
    policies: [allowYOnPort('allow-client-a-via-ns-selector', 81, 'TCP')],
    expect: portAllowed,
  },
  {
    upstream: 'should enforce multiple, stacked policies with overlapping podSelectors',
    suite: 'TCP',
    step: 'port-81 policy only, probing 81',
    port: 81,
    protocol: 'TCP',
    policies: [allowYOnPort('allow-client-a-via-ns-selector', 81, 'TCP')],
    expect: portAllowed,
  },
  {
    upstream: 'should enforce multiple, stacked policies with overlapping podSelectors',
    suite: 'TCP',
    step: 'port-81 policy only, probing 80',
    port: 80,
    protocol: 'TCP',
    policies: [allowYOnPort('allow-client-a-via-ns-selector', 81, 'TCP')],
    expect: nothingToXA,
  },
  {
    upstream: 'should enforce multiple, stacked policies with overlapping podSelectors',
    suite: 'TCP',
    step: 'port-80 policy added, probing 80',
    port: 80,
    protocol: 'TCP',
    policies: [
      allowYOnPort('allow-client-a-via-ns-selector', 81, 'TCP'),
      allowYOnPort('allow-client-a-via-ns-selector-80', 80, 'TCP'),
    ],
    expect: portAllowed,
  },
  {
    upstream: 'should support allow-all policy',
    suite: 'TCP',
    step: 'probing 80',
    port: 80,
    protocol: 'TCP',
    policies: [netpol('allow-all', 'x', matchLabels({}), { ingress: [{}] })],
    expect: allAllowed,
  },
  {
    upstream: 'should support allow-all policy',
    suite: 'TCP',
    step: 'probing 81',
    port: 81,
    protocol: 'TCP',
    policies: [netpol('allow-all', 'x', matchLabels({}), { ingress: [{}] })],
    expect: allAllowed,
  },
  {
    upstream: 'should allow ingress access on one named port',
    suite: 'TCP',
    step: 'probing 81',
    port: 81,
    protocol: 'TCP',
    policies: [netpol('allow-all', 'x', matchLabels({}), { ingress: [{ ports: [port('serve-81-tcp')] }] })],
    expect: allAllowed,
  },
  {
    upstream: 'should allow ingress access on one named port',
    suite: 'TCP',
    step: 'probing 80',
    port: 80,
    protocol: 'TCP',
    policies: [netpol('allow-all', 'x', matchLabels({}), { ingress: [{ ports: [port('serve-81-tcp')] }] })],
    expect: (r) => r.expectPeer({}, { namespace: 'x' }, false),
  },
  {
    upstream: 'should allow ingress access from namespace on one named port',
    suite: 'TCP',
    step: 'probing 80',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-client-a-via-ns-selector-80', 'x', matchPod('a'), {
        ingress: [
          { from: [{ namespaceSelector: matchNamespaceName('y') }], ports: [port('serve-80-tcp', 'TCP')] },
        ],
      }),
    ],
    expect: onlyNsYToXA,
  },
  {
    upstream: 'should allow ingress access from namespace on one named port',
    suite: 'TCP',
    step: 'probing 81',
    port: 81,
    protocol: 'TCP',
    policies: [
      netpol('allow-client-a-via-ns-selector-80', 'x', matchPod('a'), {
        ingress: [
          { from: [{ namespaceSelector: matchNamespaceName('y') }], ports: [port('serve-80-tcp', 'TCP')] },
        ],
      }),
    ],
    expect: nothingToXA,
  },
  {
    upstream: 'should allow egress access on one named port',
    suite: 'TCP',
    step: 'probing 80',
    port: 80,
    protocol: 'TCP',
    policies: [netpol('allow-egress', 'x', matchLabels({}), { egress: [{ ports: [port('serve-80-tcp')] }] })],
    expect: allAllowed,
  },
  {
    upstream: 'should allow egress access on one named port',
    suite: 'TCP',
    step: 'probing 81',
    port: 81,
    protocol: 'TCP',
    policies: [netpol('allow-egress', 'x', matchLabels({}), { egress: [{ ports: [port('serve-80-tcp')] }] })],
    expect: (r) => r.expectPeer({ namespace: 'x' }, {}, false),
  },
  {
    upstream: 'should enforce updated policy',
    suite: 'TCP',
    step: 'created as allow-all',
    port: 81,
    protocol: 'TCP',
    policies: [netpol('allow-all-mutate-to-deny-all', 'x', matchLabels({}), { ingress: [{}] })],
    expect: allAllowed,
  },
  {
    upstream: 'should enforce updated policy',
    suite: 'TCP',
    step: 'updated to deny-all',
    port: 81,
    protocol: 'TCP',
    policies: [netpol('allow-all-mutate-to-deny-all', 'x', matchLabels({}), { ingress: [] })],
    expect: (r) => r.expectPeer({}, { namespace: 'x' }, false),
  },
  {
    upstream: 'should allow ingress access from updated namespace',
    suite: 'TCP',
    step: 'before namespace y is labelled ns2=updated',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-client-a-via-ns-selector', 'x', matchPod('a'), {
        ingress: [{ from: [{ namespaceSelector: matchLabels({ ns2: 'updated' }) }] }],
      }),
    ],
    expect: nothingToXA,
  },
  {
    upstream: 'should allow ingress access from updated namespace',
    suite: 'TCP',
    step: 'after namespace y is labelled ns2=updated',
    port: 80,
    protocol: 'TCP',
    namespaceLabels: { y: { ns2: 'updated' } },
    policies: [
      netpol('allow-client-a-via-ns-selector', 'x', matchPod('a'), {
        ingress: [{ from: [{ namespaceSelector: matchLabels({ ns2: 'updated' }) }] }],
      }),
    ],
    expect: (r) => {
      r.expectAllIngress('x/a', false);
      r.expectPeer({ namespace: 'y' }, {}, true);
    },
  },
  {
    upstream: 'should allow ingress access from updated pod',
    suite: 'TCP',
    step: 'before x/b is labelled pod2=updated',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-client-a-via-pod-selector', 'x', matchPod('a'), {
        ingress: [{ from: [{ podSelector: matchLabels({ pod: 'b', pod2: 'updated' }) }] }],
      }),
    ],
    expect: nothingToXA,
  },
  {
    upstream: 'should allow ingress access from updated pod',
    suite: 'TCP',
    step: 'after x/b is labelled pod2=updated',
    port: 80,
    protocol: 'TCP',
    podLabels: { 'x/b': { pod: 'b', pod2: 'updated' } },
    policies: [
      netpol('allow-client-a-via-pod-selector', 'x', matchPod('a'), {
        ingress: [{ from: [{ podSelector: matchLabels({ pod: 'b', pod2: 'updated' }) }] }],
      }),
    ],
    expect: (r) => {
      r.expectAllIngress('x/a', false);
      r.expect('x/b', 'x/a', true);
    },
  },
  {
    upstream: 'should deny ingress from pods on other namespaces',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('deny-empty-policy', 'x', {}, { ingress: [{ from: [{ podSelector: { matchLabels: {} } }] }] }),
    ],
    expect: (r) => {
      r.expectPeer({ namespace: 'y' }, { namespace: 'x' }, false);
      r.expectPeer({ namespace: 'z' }, { namespace: 'x' }, false);
    },
  },
  {
    upstream: 'should deny ingress access to updated pod',
    suite: 'TCP',
    step: 'before x/a is labelled target=isolated',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('deny-ingress-via-label-selector', 'x', matchLabels({ target: 'isolated' }), { ingress: [] }),
    ],
    expect: allAllowed,
  },
  {
    upstream: 'should deny ingress access to updated pod',
    suite: 'TCP',
    step: 'after x/a is labelled target=isolated',
    port: 80,
    protocol: 'TCP',
    podLabels: { 'x/a': { target: 'isolated' } },
    policies: [
      netpol('deny-ingress-via-label-selector', 'x', matchLabels({ target: 'isolated' }), { ingress: [] }),
    ],
    expect: nothingToXA,
  },
  {
    upstream: 'should deny egress from pods based on PodSelector',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [netpol('deny-egress-pod-a', 'x', matchPod('a'), { egress: [] })],
    expect: (r) => r.expectAllEgress('x/a', false),
  },
  {
    upstream: 'should deny egress from all pods in a namespace',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [netpol('deny-egress-ns-x', 'x', {}, { egress: [] })],
    expect: (r) => r.expectPeer({ namespace: 'x' }, {}, false),
  },
  {
    upstream: 'should work with Ingress, Egress specified together',
    suite: 'TCP',
    step: 'probing 80',
    port: 80,
    protocol: 'TCP',
    policies: [ingressAndEgressTogether()],
    expect: (r) => {
      r.expectAllIngress('x/a', false);
      r.expect('x/b', 'x/a', true);
    },
  },
  {
    upstream: 'should work with Ingress, Egress specified together',
    suite: 'TCP',
    step: 'probing 81',
    port: 81,
    protocol: 'TCP',
    policies: [ingressAndEgressTogether()],
    expect: (r) => {
      r.expectAllIngress('x/a', false);
      r.expectAllEgress('x/a', false);
      r.expect('x/b', 'x/a', true);
    },
  },
  {
    upstream:
      'should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-to-ns-y-pod-a', 'x', matchPod('a'), {
        egress: [{ to: [{ namespaceSelector: matchNamespaceName('y'), podSelector: matchPod('a') }] }],
      }),
      netpol('allow-from-xa-on-ya-match-selector', 'y', matchPod('a'), {
        ingress: [{ from: [{ namespaceSelector: matchNamespaceName('x'), podSelector: matchPod('a') }] }],
      }),
      netpol('allow-from-xa-on-yb-match-selector', 'y', matchPod('b'), {
        ingress: [{ from: [{ namespaceSelector: matchNamespaceName('x'), podSelector: matchPod('a') }] }],
      }),
    ],
    expect: (r) => {
      r.expectPeer({ namespace: 'x', pod: 'a' }, {}, false);
      r.expectPeer({}, { namespace: 'y', pod: 'a' }, false);
      r.expectPeer({ namespace: 'x', pod: 'a' }, { namespace: 'y', pod: 'a' }, true);
      r.expectPeer({}, { namespace: 'y', pod: 'b' }, false);
    },
  },
  {
    upstream:
      'should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-to-ns-y-pod-a', 'x', matchPod('a'), {
        egress: [{ to: [{ namespaceSelector: matchNamespaceName('y'), podSelector: matchPod('a') }] }],
      }),
    ],
    expect: (r) => {
      r.expectAllEgress('x/a', false);
      r.expect('x/a', 'y/a', true);
    },
  },
  {
    upstream: 'should enforce ingress policy allowing any port traffic to a server on a specific protocol',
    suite: 'TCP',
    step: 'probing TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-ingress-by-proto', 'x', matchPod('a'), { ingress: [{ ports: [{ protocol: 'TCP' }] }] }),
    ],
    expect: allAllowed,
  },
  {
    upstream: 'should enforce ingress policy allowing any port traffic to a server on a specific protocol',
    suite: 'TCP',
    step: 'probing UDP',
    port: 80,
    protocol: 'UDP',
    policies: [
      netpol('allow-ingress-by-proto', 'x', matchPod('a'), { ingress: [{ ports: [{ protocol: 'TCP' }] }] }),
    ],
    expect: (r) => r.expectPeer({}, { namespace: 'x', pod: 'a' }, false),
  },
  {
    upstream: 'should enforce multiple ingress policies with ingress allow-all policy taking precedence',
    suite: 'TCP',
    step: 'port-80 policy only',
    port: 81,
    protocol: 'TCP',
    policies: [netpol('allow-ingress-port-80', 'x', matchLabels({}), { ingress: [{ ports: [port(80)] }] })],
    expect: (r) => r.expectPeer({}, { namespace: 'x' }, false),
  },
  {
    upstream: 'should enforce multiple ingress policies with ingress allow-all policy taking precedence',
    suite: 'TCP',
    step: 'allow-all added',
    port: 81,
    protocol: 'TCP',
    policies: [
      netpol('allow-ingress-port-80', 'x', matchLabels({}), { ingress: [{ ports: [port(80)] }] }),
      netpol('allow-ingress', 'x', matchLabels({}), { ingress: [{}] }),
    ],
    expect: allAllowed,
  },
  {
    upstream: 'should enforce multiple egress policies with egress allow-all policy taking precedence',
    suite: 'TCP',
    step: 'port-80 policy only',
    port: 81,
    protocol: 'TCP',
    policies: [netpol('allow-egress-port-80', 'x', matchLabels({}), { egress: [{ ports: [port(80)] }] })],
    expect: (r) => r.expectPeer({ namespace: 'x' }, {}, false),
  },
  {
    upstream: 'should enforce multiple egress policies with egress allow-all policy taking precedence',
    suite: 'TCP',
    step: 'allow-all added',
    port: 81,
    protocol: 'TCP',
    policies: [
      netpol('allow-egress-port-80', 'x', matchLabels({}), { egress: [{ ports: [port(80)] }] }),
      netpol('allow-egress', 'x', matchLabels({}), { egress: [{}] }),
    ],
    expect: allAllowed,
  },
  {
    upstream: 'should stop enforcing policies after they are deleted',
    suite: 'TCP',
    step: 'with the deny-all policy',
    port: 80,
    protocol: 'TCP',
    policies: [denyAllX()],
    expect: (r) => {
      r.expectPeer({ namespace: 'x' }, {}, false);
      r.expectPeer({}, { namespace: 'x' }, false);
    },
  },
  {
    upstream: 'should stop enforcing policies after they are deleted',
    suite: 'TCP',
    step: 'after the policies are deleted',
    port: 80,
    protocol: 'TCP',
    policies: [],
    expect: allAllowed,
  },
  {
    upstream: 'should allow egress access to server in CIDR block',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-client-a-via-cidr-egress-rule', 'x', matchPod('a'), {
        egress: [{ to: [ipBlock(hostCIDR(podIP('y', 'b')))] }],
      }),
    ],
    expect: (r) => {
      r.expectAllEgress('x/a', false);
      r.expect('x/a', 'y/b', true);
    },
  },
  {
    upstream: 'should enforce except clause while egress access to server in CIDR block',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [cidrExceptXB()],
    expect: (r) => r.expect('x/a', 'x/b', false),
  },
  {
    upstream: 'should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed',
    suite: 'TCP',
    step: 'CIDR with x/b excepted',
    port: 80,
    protocol: 'TCP',
    policies: [cidrExceptXB()],
    expect: (r) => r.expect('x/a', 'x/b', false),
  },
  {
    upstream: 'should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed',
    suite: 'TCP',
    step: 'policy updated to allow x/b by its host CIDR',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-client-a-via-cidr-egress-rule', 'x', matchPod('a'), {
        egress: [{ to: [ipBlock(hostCIDR(podIP('x', 'b')))] }],
      }),
    ],
    expect: (r) => {
      r.expectAllEgress('x/a', false);
      r.expect('x/a', 'x/b', true);
    },
  },
  {
    upstream:
      'should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector',
    suite: 'TCP',
    step: 'allow-egress policy only',
    port: 80,
    protocol: 'TCP',
    policies: [netpol('allow-egress-for-target', 'x', matchPod('a'), { egress: [{}] })],
    expect: allAllowed,
  },
  {
    upstream:
      'should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector',
    suite: 'TCP',
    step: 'deny-ingress policy added',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-egress-for-target', 'x', matchPod('a'), { egress: [{}] }),
      netpol('deny-ingress-via-label-selector', 'x', matchPod('a'), { ingress: [] }),
    ],
    expect: nothingToXA,
  },
  {
    upstream:
      "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
    suite: 'TCP',
    port: 81,
    protocol: 'TCP',
    policies: [denyIngressX(), allowOnlySctp81()],
    expect: (r) => r.expectPeer({}, { namespace: 'x' }, false),
  },
  {
    upstream:
      "should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP",
    suite: 'TCP',
    port: 81,
    protocol: 'TCP',
    policies: [
      netpol('allow-only-sctp-ingress-on-port-80', 'x', matchPod('a'), {
        ingress: [{ ports: [port(80, 'SCTP')] }],
      }),
    ],
    expect: nothingToXA,
  },
  {
    upstream: 'should not allow access by TCP when a policy specifies only UDP',
    suite: 'TCP',
    port: 81,
    protocol: 'TCP',
    policies: [allowOnlyUdp81()],
    expect: nothingToXA,
  },
  {
    upstream:
      'should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [allowFromNsY('allow-client-a-via-ns-selector-for-immutable-ns-label')],
    expect: onlyNsYToXA,
  },
  {
    upstream: 'should enforce policy based on NamespaceSelector with MatchExpressions using default ns label',
    suite: 'TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-ns-y-match-selector-for-immutable-ns-label', 'x', matchPod('a'), {
        egress: [
          { to: [{ namespaceSelector: matchExpression('kubernetes.io/metadata.name', 'NotIn', ['y']) }] },
        ],
      }),
    ],
    expect: (r) => r.expectPeer({ namespace: 'x', pod: 'a' }, { namespace: 'y' }, false),
  },
];

function ingressAndEgressTogether(): NetworkPolicy {
  return netpol('allow-client-a-via-pod-selector', 'x', matchPod('a'), {
    ingress: [{ from: [{ podSelector: matchPod('b') }] }],
    egress: [{ ports: [port(80)] }],
    policyTypes: ['Egress', 'Ingress'],
  });
}

function cidrExceptXB(): NetworkPolicy {
  return netpol('allow-client-a-via-cidr-egress-rule', 'x', matchPod('a'), {
    egress: [{ to: [ipBlock(largeCIDRFor(podIP('x', 'b')), [hostCIDR(podIP('x', 'b'))])] }],
  });
}

function allowOnlySctp81(): NetworkPolicy {
  return netpol('allow-only-sctp-ingress-on-port-81', 'x', matchPod('a'), {
    ingress: [{ ports: [port(81, 'SCTP')] }],
  });
}

function allowOnlyUdp81(): NetworkPolicy {
  return netpol('allow-only-udp-ingress-on-port-81', 'x', matchPod('a'), {
    ingress: [{ ports: [port(81, 'UDP')] }],
  });
}

const UDP_SUITE: TruthTableCase[] = [
  {
    upstream: "should support a 'default-deny-ingress' policy",
    suite: 'UDP',
    port: 80,
    protocol: 'UDP',
    policies: [denyIngressX('deny-all')],
    expect: (r) => r.expectPeer({}, { namespace: 'x' }, false),
  },
  {
    upstream: 'should enforce policy based on Ports',
    suite: 'UDP',
    port: 81,
    protocol: 'UDP',
    policies: [allowYOnPort('allow-ingress-on-port-81-ns-x', 81, 'UDP')],
    expect: onlyNsYToXA,
  },
  {
    upstream:
      'should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector',
    suite: 'UDP',
    port: 80,
    protocol: 'UDP',
    policies: [allowFromYPodA()],
    expect: onlyYAToXA,
  },
];

const SCTP_SUITE: TruthTableCase[] = [
  {
    upstream: "should support a 'default-deny-ingress' policy",
    suite: 'SCTP',
    port: 80,
    protocol: 'SCTP',
    policies: [denyIngressX('deny-all')],
    expect: (r) => r.expectPeer({}, { namespace: 'x' }, false),
  },
  {
    upstream: 'should enforce policy based on Ports',
    suite: 'SCTP',
    port: 81,
    protocol: 'SCTP',
    policies: [allowYOnPort('allow-ingress-on-port-81-ns-x', 81, 'SCTP')],
    expect: onlyNsYToXA,
  },
  {
    upstream:
      'should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector',
    suite: 'SCTP',
    port: 80,
    protocol: 'SCTP',
    policies: [allowFromYPodA()],
    expect: onlyYAToXA,
  },
];

/**
 * netpol's additions: the same policies probed on the other protocols and ports upstream leaves out,
 * and port ranges (endPort), which upstream's suite does not probe. Expectations follow the API's
 * rules the same way the upstream ones do: a port entry matches one protocol (TCP when absent), a
 * named port matches the destination's container port of that name and protocol, and endPort makes
 * an inclusive range.
 */
const VARIANTS: TruthTableCase[] = [
  {
    upstream: "should support a 'default-deny-all' policy",
    suite: 'TCP',
    variant: 'probed over UDP',
    port: 80,
    protocol: 'UDP',
    policies: [denyAllX()],
    expect: (r) => {
      r.expectTo('x', false);
      r.expectFrom('x', false);
    },
  },
  {
    upstream: "should support a 'default-deny-all' policy",
    suite: 'TCP',
    variant: 'probed over SCTP',
    port: 80,
    protocol: 'SCTP',
    policies: [denyAllX()],
    expect: (r) => {
      r.expectTo('x', false);
      r.expectFrom('x', false);
    },
  },
  {
    upstream: 'should allow ingress access on one named port',
    suite: 'TCP',
    variant: 'probed over UDP: serve-81-tcp names a TCP port only',
    port: 81,
    protocol: 'UDP',
    policies: [netpol('allow-all', 'x', matchLabels({}), { ingress: [{ ports: [port('serve-81-tcp')] }] })],
    expect: (r) => r.expectTo('x', false),
  },
  {
    upstream: 'should allow egress access on one named port',
    suite: 'TCP',
    variant: 'named UDP port, probed over UDP',
    port: 80,
    protocol: 'UDP',
    policies: [
      netpol('allow-egress', 'x', matchLabels({}), { egress: [{ ports: [port('serve-80-udp', 'UDP')] }] }),
    ],
    expect: allAllowed,
  },
  {
    upstream: 'should allow egress access on one named port',
    suite: 'TCP',
    variant: 'named UDP port, probed over TCP',
    port: 80,
    protocol: 'TCP',
    policies: [
      netpol('allow-egress', 'x', matchLabels({}), { egress: [{ ports: [port('serve-80-udp', 'UDP')] }] }),
    ],
    expect: (r) => r.expectFrom('x', false),
  },
  {
    upstream:
      "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
    suite: 'TCP',
    variant: 'probed over SCTP, which the policy allows to x/a',
    port: 81,
    protocol: 'SCTP',
    policies: [denyIngressX(), allowOnlySctp81()],
    expect: (r) => {
      r.expectTo('x', false);
      r.expectAllIngress('x/a', true);
    },
  },
  {
    upstream: 'should not allow access by TCP when a policy specifies only UDP',
    suite: 'TCP',
    variant: 'probed over UDP, which the policy allows',
    port: 81,
    protocol: 'UDP',
    policies: [allowOnlyUdp81()],
    expect: allAllowed,
  },
  {
    upstream: 'should not allow access by TCP when a policy specifies only UDP',
    suite: 'TCP',
    variant: 'probed over UDP on the other port',
    port: 80,
    protocol: 'UDP',
    policies: [allowOnlyUdp81()],
    expect: nothingToXA,
  },
  {
    upstream: 'should enforce policy based on Ports',
    suite: 'TCP',
    variant: 'endPort range 80-81, probing 80',
    port: 80,
    protocol: 'TCP',
    policies: [allowYOnRange(80, 81, 'TCP')],
    expect: portAllowed,
  },
  {
    upstream: 'should enforce policy based on Ports',
    suite: 'TCP',
    variant: 'endPort range 80-81, probing 81',
    port: 81,
    protocol: 'TCP',
    policies: [allowYOnRange(80, 81, 'TCP')],
    expect: portAllowed,
  },
  {
    upstream: 'should enforce policy based on Ports',
    suite: 'TCP',
    variant: 'endPort range 81-82, probing 80 below the range',
    port: 80,
    protocol: 'TCP',
    policies: [allowYOnRange(81, 82, 'TCP')],
    expect: nothingToXA,
  },
  {
    upstream: 'should enforce policy based on Ports',
    suite: 'TCP',
    variant: 'endPort range 79-80, probing 81 above the range',
    port: 81,
    protocol: 'TCP',
    policies: [allowYOnRange(79, 80, 'TCP')],
    expect: nothingToXA,
  },
  {
    upstream: 'should enforce policy based on Ports',
    suite: 'UDP',
    variant: 'endPort range 80-81 over UDP, probing 80',
    port: 80,
    protocol: 'UDP',
    policies: [allowYOnRange(80, 81, 'UDP')],
    expect: portAllowed,
  },
  {
    upstream: 'should enforce policy based on Ports',
    suite: 'UDP',
    variant: 'endPort range 80-81 over UDP, probing TCP 80',
    port: 80,
    protocol: 'TCP',
    policies: [allowYOnRange(80, 81, 'UDP')],
    expect: nothingToXA,
  },
  {
    upstream: 'should enforce policy based on Ports',
    suite: 'SCTP',
    variant: 'endPort range 80-81 over SCTP, probing 81',
    port: 81,
    protocol: 'SCTP',
    policies: [allowYOnRange(80, 81, 'SCTP')],
    expect: portAllowed,
  },
  {
    upstream: 'should allow egress access on one named port',
    suite: 'TCP',
    variant: 'egress endPort range 80-80, probing 81 outside it',
    port: 81,
    protocol: 'TCP',
    policies: [netpol('allow-egress', 'x', matchLabels({}), { egress: [{ ports: [portRange(80, 80)] }] })],
    expect: (r) => r.expectFrom('x', false),
  },
];

function allowYOnRange(first: number, last: number, protocol: Protocol): NetworkPolicy {
  return netpol('allow-client-a-via-ns-selector-range', 'x', matchPod('a'), {
    ingress: [
      { from: [{ namespaceSelector: matchNamespaceName('y') }], ports: [portRange(first, last, protocol)] },
    ],
  });
}

export const TRUTH_TABLE_CASES: readonly TruthTableCase[] = [
  ...TCP_SUITE,
  ...UDP_SUITE,
  ...SCTP_SUITE,
  ...VARIANTS,
];
