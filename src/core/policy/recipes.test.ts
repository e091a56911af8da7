/**
 * Every recipe of ahmetb/kubernetes-network-policy-recipes (and the extra cases of the Kubernetes
 * docs) in its chat form, each producing the recipe's intended policy. Specs are written out in
 * full, as the recipes' YAML has them, so a change in the builder cannot slip through.
 */
import type { NetworkPolicyEgressRule, NetworkPolicySpec } from '../k8s/types';
import { parseRequest } from '../request/parser';
import { isPolicyRequest } from '../request/request';
import { formatRequest } from '../request/format-request';
import { buildPolicies } from './build-policies';

const NAME = 'kubernetes.io/metadata.name';
const DNS_RULE: NetworkPolicyEgressRule = {
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
  to: [
    {
      namespaceSelector: { matchLabels: { [NAME]: 'kube-system' } },
      podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    },
  ],
};

function build(text: string): { namespace: string; spec: NetworkPolicySpec }[] {
  const request = parseRequest(text);
  if (!isPolicyRequest(request)) throw new Error(`${text} is not a policy request`);
  return buildPolicies(request, { command: formatRequest(request) }).map((p) => ({
    namespace: p.metadata.namespace,
    spec: p.spec,
  }));
}

describe('recipes in chat form', () => {
  const cases: [string, string, { namespace: string; spec: NetworkPolicySpec }[]][] = [
    [
      '01 deny all traffic to an application',
      'deny ingress to default/app=web',
      [
        {
          namespace: 'default',
          spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [] },
        },
      ],
    ],
    [
      '02 limit traffic to an application',
      'allow default/app=bookstore to default/app=bookstore,role=api',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'bookstore', role: 'api' } },
            policyTypes: ['Ingress'],
            ingress: [{ from: [{ podSelector: { matchLabels: { app: 'bookstore' } } }] }],
          },
        },
      ],
    ],
    [
      '02a allow all traffic to an application',
      'allow all to default/app=web',
      [
        {
          namespace: 'default',
          spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{}] },
        },
      ],
    ],
    [
      '03 deny all non-whitelisted traffic in the namespace',
      'deny ingress in default',
      [{ namespace: 'default', spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [] } }],
    ],
    [
      '04 deny all traffic from other namespaces',
      'isolate default',
      [
        {
          namespace: 'default',
          spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] },
        },
      ],
    ],
    [
      '04 (long form)',
      'allow default/* to default/*',
      [
        {
          namespace: 'default',
          spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] },
        },
      ],
    ],
    [
      '05 allow traffic to an application from all namespaces',
      'allow */* to default/app=web',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'web' } },
            policyTypes: ['Ingress'],
            ingress: [{ from: [{ namespaceSelector: {} }] }],
          },
        },
      ],
    ],
    [
      '06 allow all traffic from a namespace',
      'allow ns(purpose=production)/* to default/app=web',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'web' } },
            policyTypes: ['Ingress'],
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { purpose: 'production' } } }] }],
          },
        },
      ],
    ],
    [
      '07 allow traffic from some pods in another namespace (AND)',
      'allow ns(team=operations)/type=monitoring to default/app=web',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'web' } },
            policyTypes: ['Ingress'],
            ingress: [
              {
                from: [
                  {
                    namespaceSelector: { matchLabels: { team: 'operations' } },
                    podSelector: { matchLabels: { type: 'monitoring' } },
                  },
                ],
              },
            ],
          },
        },
      ],
    ],
    [
      '07 (OR form: two peers)',
      'allow ns(team=operations)/* | default/type=monitoring to default/app=web',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'web' } },
            policyTypes: ['Ingress'],
            ingress: [
              {
                from: [
                  { namespaceSelector: { matchLabels: { team: 'operations' } } },
                  { podSelector: { matchLabels: { type: 'monitoring' } } },
                ],
              },
            ],
          },
        },
      ],
    ],
    [
      '08 allow traffic from external clients',
      'allow all to default/app=web on tcp/80',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'web' } },
            policyTypes: ['Ingress'],
            ingress: [{ ports: [{ protocol: 'TCP', port: 80 }] }],
          },
        },
      ],
    ],
    [
      '09 allow traffic only to a port of an application',
      'allow default/role=monitoring to default/app=apiserver on tcp/5000',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'apiserver' } },
            policyTypes: ['Ingress'],
            ingress: [
              {
                ports: [{ protocol: 'TCP', port: 5000 }],
                from: [{ podSelector: { matchLabels: { role: 'monitoring' } } }],
              },
            ],
          },
        },
      ],
    ],
    [
      '09 (named port)',
      'allow default/role=monitoring to default/app=apiserver on api-port',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'apiserver' } },
            policyTypes: ['Ingress'],
            ingress: [
              {
                ports: [{ protocol: 'TCP', port: 'api-port' }],
                from: [{ podSelector: { matchLabels: { role: 'monitoring' } } }],
              },
            ],
          },
        },
      ],
    ],
    [
      '10 allow traffic from apps using multiple selectors',
      'allow default/app=bookstore,role=search | default/app=bookstore,role=api | default/app=inventory,role=web to default/app=bookstore,role=db',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'bookstore', role: 'db' } },
            policyTypes: ['Ingress'],
            ingress: [
              {
                from: [
                  { podSelector: { matchLabels: { app: 'bookstore', role: 'search' } } },
                  { podSelector: { matchLabels: { app: 'bookstore', role: 'api' } } },
                  { podSelector: { matchLabels: { app: 'inventory', role: 'web' } } },
                ],
              },
            ],
          },
        },
      ],
    ],
    [
      '11 deny egress traffic from an application',
      'deny egress from default/app=foo',
      [
        {
          namespace: 'default',
          spec: { podSelector: { matchLabels: { app: 'foo' } }, policyTypes: ['Egress'], egress: [] },
        },
      ],
    ],
    [
      '11 (with DNS allowed)',
      'deny egress from default/app=foo except dns',
      [
        {
          namespace: 'default',
          spec: { podSelector: { matchLabels: { app: 'foo' } }, policyTypes: ['Egress'], egress: [DNS_RULE] },
        },
      ],
    ],
    [
      '12 deny all non-whitelisted traffic from a namespace',
      'deny egress in default',
      [{ namespace: 'default', spec: { podSelector: {}, policyTypes: ['Egress'], egress: [] } }],
    ],
    [
      '13 limit egress traffic from an application to some pods',
      'deny egress from default/app=foo except dns | default/app=db on tcp/5432',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'foo' } },
            policyTypes: ['Egress'],
            egress: [
              DNS_RULE,
              {
                ports: [{ protocol: 'TCP', port: 5432 }],
                to: [{ podSelector: { matchLabels: { app: 'db' } } }],
              },
            ],
          },
        },
      ],
    ],
    [
      'allow traffic only to pods in a namespace',
      'deny egress from default/app=foo except dns | backend/*',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'foo' } },
            policyTypes: ['Egress'],
            egress: [DNS_RULE, { to: [{ namespaceSelector: { matchLabels: { [NAME]: 'backend' } } }] }],
          },
        },
      ],
    ],
    [
      '14 deny external egress traffic (the intent: DNS and the cluster)',
      'deny egress from default/app=foo except dns | cluster',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'foo' } },
            policyTypes: ['Egress'],
            egress: [DNS_RULE, { to: [{ namespaceSelector: {} }] }],
          },
        },
      ],
    ],
    [
      'docs: allow all ingress in a namespace',
      'allow all to default/*',
      [{ namespace: 'default', spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] } }],
    ],
    [
      'docs: allow all egress',
      'allow default/* to all',
      [{ namespace: 'default', spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{}] } }],
    ],
    [
      'docs: default deny all',
      'deny all in default',
      [
        {
          namespace: 'default',
          spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] },
        },
      ],
    ],
    [
      'docs: a range of ports (endPort)',
      'allow default/role=db to 10.0.0.0/24 on tcp/32000-32768',
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { role: 'db' } },
            policyTypes: ['Egress'],
            egress: [
              {
                ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }],
                to: [{ ipBlock: { cidr: '10.0.0.0/24' } }],
              },
            ],
          },
        },
      ],
    ],
    [
      'docs: several namespaces by name',
      `allow default/app=myapp to ns(${NAME} in (frontend,backend))/*`,
      [
        {
          namespace: 'default',
          spec: {
            podSelector: { matchLabels: { app: 'myapp' } },
            policyTypes: ['Egress'],
            egress: [
              {
                to: [
                  {
                    namespaceSelector: {
                      matchExpressions: [{ key: NAME, operator: 'In', values: ['backend', 'frontend'] }],
                    },
                  },
                ],
              },
            ],
          },
        },
      ],
    ],
  ];

  it.each(cases)('%s: %s', (_name, text, expected) => {
    expect(build(text)).toEqual(expected);
  });
});

describe('the issue examples', () => {
  it('allow frontend nginx to backend: one peer holding the namespace AND the pods', () => {
    expect(build('allow frontend nginx to backend')).toEqual([
      {
        namespace: 'backend',
        spec: {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchLabels: { [NAME]: 'frontend' } },
                  podSelector: { matchLabels: { app: 'nginx' } },
                },
              ],
            },
          ],
        },
      },
    ]);
  });

  it('selectors and ports: AND inside a selector, several ports', () => {
    expect(
      build('allow frontend/app=nginx to backend/app=api,tier=web on tcp/8080')[0]?.spec.podSelector,
    ).toEqual({ matchLabels: { app: 'api', tier: 'web' } });
    expect(
      build('allow frontend/app=nginx to backend/app=api on 80,443')[0]?.spec.ingress?.[0]?.ports,
    ).toEqual([
      { protocol: 'TCP', port: 80 },
      { protocol: 'TCP', port: 443 },
    ]);
    expect(
      build('allow frontend/app=nginx to backend/app=api on 8000-8100')[0]?.spec.ingress?.[0]?.ports,
    ).toEqual([{ protocol: 'TCP', port: 8000, endPort: 8100 }]);
    expect(
      build('allow frontend/app=nginx to backend/app=api on udp/53')[0]?.spec.ingress?.[0]?.ports,
    ).toEqual([{ protocol: 'UDP', port: 53 }]);
    expect(build('allow frontend/app=nginx to backend/app=api on http')[0]?.spec.ingress?.[0]?.ports).toEqual(
      [{ protocol: 'TCP', port: 'http' }],
    );
  });

  it('egress to an ipBlock is written on the source side only', () => {
    expect(build('allow backend/app=api to 10.0.0.0/16 on 5432')).toEqual([
      {
        namespace: 'backend',
        spec: {
          podSelector: { matchLabels: { app: 'api' } },
          policyTypes: ['Egress'],
          egress: [{ ports: [{ protocol: 'TCP', port: 5432 }], to: [{ ipBlock: { cidr: '10.0.0.0/16' } }] }],
        },
      },
    ]);
  });

  it('ingress from an ipBlock with except', () => {
    expect(build('allow 0.0.0.0/0 except 169.254.169.254/32 to web/app=site on 443')).toEqual([
      {
        namespace: 'web',
        spec: {
          podSelector: { matchLabels: { app: 'site' } },
          policyTypes: ['Ingress'],
          ingress: [
            {
              ports: [{ protocol: 'TCP', port: 443 }],
              from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }],
            },
          ],
        },
      },
    ]);
  });

  it('every namespace versus everything', () => {
    expect(build('allow */* to web/app=site')[0]?.spec.ingress).toEqual([
      { from: [{ namespaceSelector: {} }] },
    ]);
    expect(build('allow all to web/app=site')[0]?.spec.ingress).toEqual([{}]);
  });

  it('deny egress in backend except dns', () => {
    expect(build('deny egress in backend except dns')).toEqual([
      { namespace: 'backend', spec: { podSelector: {}, policyTypes: ['Egress'], egress: [DNS_RULE] } },
    ]);
  });

  it('world excludes the cluster ranges in both families', () => {
    const egress = build('allow backend/app=api to world on tcp/443')[0]?.spec.egress?.[0];
    expect(egress?.to).toEqual([
      { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } },
      { ipBlock: { cidr: '::/0', except: ['fc00::/7'] } },
    ]);
  });

  it('both-sides writes the egress policy too', () => {
    const built = build('allow frontend/app=nginx to backend/app=api on tcp/80 both-sides');
    expect(built.map((p) => [p.namespace, p.spec.policyTypes])).toEqual([
      ['backend', ['Ingress']],
      ['frontend', ['Egress']],
    ]);
    expect(built[1]?.spec.egress).toEqual([
      {
        ports: [{ protocol: 'TCP', port: 80 }],
        to: [
          {
            namespaceSelector: { matchLabels: { [NAME]: 'backend' } },
            podSelector: { matchLabels: { app: 'api' } },
          },
        ],
      },
    ]);
  });
});
