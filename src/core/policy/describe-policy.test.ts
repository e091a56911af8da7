import { policy } from '../../../test/support/cluster-builders';
import { NAMESPACE_NAME_LABEL } from '../k8s/types';
import { describePolicy, describePorts } from './describe-policy';

const nsName = (name: string) => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: name } });

describe('describePolicy', () => {
  it('reads a default deny: policyTypes defaulted to Ingress, no rules', () => {
    expect(describePolicy(policy('backend/default-deny', { podSelector: {} }))).toBe(
      'default-deny: selects all pods; isolates ingress (nothing allowed)',
    );
  });

  it('defaults to Ingress and Egress when egress rules are present', () => {
    const p = policy('backend/db-out', {
      podSelector: { matchLabels: { app: 'api' } },
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
    });
    expect(describePolicy(p)).toBe(
      'db-out: selects pods app=api; isolates ingress (nothing allowed); egress to 10.0.0.0/16 on TCP 5432',
    );
  });

  it('takes explicit policyTypes as given and says which rules are ignored', () => {
    const p = policy('backend/egress-only', {
      podSelector: {},
      policyTypes: ['Egress'],
      ingress: [{}],
    });
    expect(describePolicy(p)).toBe(
      'egress-only: selects all pods; isolates egress (nothing allowed); its ingress rules are ignored (policyTypes has no Ingress, so ingress stays open)',
    );
  });

  it('names the namespace of a metadata.name selector, ANDed with a pod selector', () => {
    const p = policy('backend/netpol-allow-frontend-nginx-to-all-1a2b3c4d', {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [
        { from: [{ namespaceSelector: nsName('frontend'), podSelector: { matchLabels: { app: 'nginx' } } }] },
      ],
    });
    expect(describePolicy(p)).toBe(
      'netpol-allow-frontend-nginx-to-all-1a2b3c4d: selects all pods; ingress from pods app=nginx in namespace frontend, any port',
    );
  });

  it('reads each peer kind: own namespace, namespace labels, all namespaces, names list, ipBlock except', () => {
    const p = policy('default/mixed', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [
        {
          from: [
            { podSelector: { matchLabels: { role: 'monitoring' } } },
            { podSelector: {} },
            {
              namespaceSelector: { matchLabels: { team: 'ops' } },
              podSelector: { matchLabels: { type: 'monitoring' } },
            },
            { namespaceSelector: {} },
            { namespaceSelector: {}, podSelector: { matchLabels: { app: 'x' } } },
            {
              namespaceSelector: {
                matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: ['a', 'b'] }],
              },
            },
            { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '192.168.0.0/16'] } },
          ],
        },
      ],
    });
    expect(describePolicy(p)).toBe(
      'mixed: selects pods app=web; ingress from ' +
        [
          'pods role=monitoring in namespace default',
          'all pods in namespace default',
          'pods type=monitoring in namespaces team=ops',
          'all pods in all namespaces',
          'pods app=x in all namespaces',
          'all pods in namespaces a, b',
          '0.0.0.0/0 except 10.0.0.0/8, 192.168.0.0/16',
        ].join(' or ') +
        ', any port',
    );
  });

  it('separates rules with ";" and reads absent peers as anywhere', () => {
    const p = policy('default/two-rules', {
      podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['api', 'web'] }] },
      ingress: [{ ports: [{ port: 80 }] }, { from: [{ podSelector: {} }] }],
    });
    expect(describePolicy(p)).toBe(
      'two-rules: selects pods tier in (api,web); ingress from anywhere on TCP 80; ingress from all pods in namespace default, any port',
    );
  });

  it('reads an empty ingress rule list under explicit types as isolation, and an empty rule as anywhere', () => {
    const p = policy('default/allow-all', {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{}],
    });
    expect(describePolicy(p)).toBe(
      'allow-all: selects all pods; ingress from anywhere, any port; isolates egress (nothing allowed)',
    );
  });
});

describe('describePorts', () => {
  it('reads no ports as any port', () => {
    expect(describePorts(undefined)).toBe('any port');
    expect(describePorts([])).toBe('any port');
  });

  it('groups by protocol, with ranges and named ports, TCP by default', () => {
    expect(
      describePorts([
        { port: 80 },
        { protocol: 'TCP', port: 443 },
        { protocol: 'TCP', port: 32000, endPort: 32768 },
        { protocol: 'UDP', port: 53 },
        { port: 'http' },
      ]),
    ).toBe('TCP 80, 443, 32000-32768, named port http and UDP 53');
  });

  it('reads a protocol without a port as every port of it', () => {
    expect(
      describePorts([{ protocol: 'UDP' }, { protocol: 'UDP', port: 53 }, { protocol: 'SCTP', port: 9 }]),
    ).toBe('any UDP port and SCTP 9');
  });
});
