/**
 * The stand-in's validation and decoding against the real API server's wording, pinned message by
 * message (these are the strings a worker will log and a user will read in Slack).
 */
import { decodeObject, DecodeError } from './decode';
import { fieldErrorString, invalid } from './status';
import { parseCidr, validateObject } from './validation';

function np(spec: Record<string, unknown>, name = 'p'): Record<string, unknown> {
  return decodeObject('NetworkPolicy', 'networking.k8s.io/v1', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'backend' },
    spec,
  }).object;
}

function problems(object: Record<string, unknown>): string[] {
  return validateObject('NetworkPolicy', object).map(fieldErrorString);
}

const SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe('NetworkPolicy validation', () => {
  test('a valid policy has no problems', () => {
    const policy = np({
      podSelector: { matchLabels: { app: 'api' } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } } },
            { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
          ],
          ports: [{ port: 'http' }, { port: 8000, endPort: 8100, protocol: 'UDP' }],
        },
      ],
      egress: [{ to: [{ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } }] }],
      policyTypes: ['Ingress', 'Egress'],
    });
    expect(problems(policy)).toEqual([]);
  });

  test.each([
    [
      { podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] },
      'spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ],
    [
      { podSelector: {}, ingress: [{ ports: [{ port: 80, protocol: 'ICMP' }] }] },
      'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
    ],
    [
      { podSelector: {}, ingress: [{ ports: [{ port: 'http', endPort: 9000 }] }] },
      'spec.ingress[0].ports[0].endPort: Invalid value: 9000: may not be specified when `port` is non-numeric',
    ],
    [
      { podSelector: {}, egress: [{ ports: [{ port: 8080, endPort: 80 }] }] },
      'spec.egress[0].ports[0].endPort: Invalid value: 8080: must be greater than or equal to `port`',
    ],
    [
      { podSelector: {}, egress: [{ ports: [{ endPort: 80 }] }] },
      'spec.egress[0].ports[0].endPort: Invalid value: 80: may not be specified when `port` is not specified',
    ],
    [
      { podSelector: {}, ingress: [{ ports: [{ port: 'HTTP' }] }] },
      'spec.ingress[0].ports[0].port: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    ],
    [
      { podSelector: {}, ingress: [{ ports: [{ port: '8080' }] }] },
      'spec.ingress[0].ports[0].port: Invalid value: "8080": must contain at least one letter (a-z)',
    ],
    [
      { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] },
      'spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ],
    [
      {
        podSelector: {},
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['192.168.0.0/24'] } }] }],
      },
      'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "192.168.0.0/24": must be a strict subset of `cidr`',
    ],
    [
      {
        podSelector: {},
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/16'] } }] }],
      },
      'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`',
    ],
    [
      { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '' } }] }] },
      'spec.ingress[0].from[0].ipBlock.cidr: Required value',
    ],
    [
      { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] },
      'spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer',
    ],
    [
      { podSelector: {}, egress: [{ to: [{}] }] },
      'spec.egress[0].to[0]: Required value: must specify a peer',
    ],
    [
      { podSelector: {}, policyTypes: ['ingress'] },
      'spec.policyTypes[0]: Unsupported value: "ingress": supported values: "Ingress", "Egress"',
    ],
    [
      { podSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['a'] }] } },
      'spec.podSelector.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator',
    ],
    [
      { podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } },
      "spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ],
    [
      { podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['a'] }] } },
      "spec.podSelector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ],
    [
      { podSelector: { matchLabels: { app: 'has space' } } },
      "spec.podSelector.matchLabels: Invalid value: \"has space\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ],
    [
      { podSelector: { matchLabels: { '-app': 'a' } } },
      "spec.podSelector.matchLabels: Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ],
    [
      { podSelector: { matchLabels: { 'Example.com/app': 'a' } } },
      `spec.podSelector.matchLabels: Invalid value: "Example.com/app": prefix part ${SUBDOMAIN_RULE}`,
    ],
  ])('%j is refused with the real message', (spec, expected) => {
    expect(problems(np(spec))).toEqual([expected]);
  });

  test('the name must be a DNS-1123 subdomain', () => {
    expect(problems(np({ podSelector: {} }, 'Bad_Name'))).toEqual([
      `metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_RULE}`,
    ]);
  });

  test('several problems are bracketed in the Status message, one cause each', () => {
    const object = np(
      { podSelector: {}, ingress: [{ ports: [{ port: 0 }, { port: 80, protocol: 'icmp' }] }] },
      'bad',
    );
    const status = invalid(
      { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
      'bad',
      validateObject('NetworkPolicy', object),
    );
    expect(status.message).toBe(
      'NetworkPolicy.networking.k8s.io "bad" is invalid: [spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ingress[0].ports[1].protocol: Unsupported value: "icmp": supported values: "TCP", "UDP", "SCTP"]',
    );
    expect(status.details?.causes).toHaveLength(2);
  });

  test('namespace names are DNS-1123 labels', () => {
    const ns = decodeObject('Namespace', 'v1', { metadata: { name: 'a.b' } }).object;
    expect(validateObject('Namespace', ns).map(fieldErrorString)).toEqual([
      'metadata.name: Invalid value: "a.b": must not contain dots',
    ]);
  });
});

describe('decoding', () => {
  test('applies the API defaults', () => {
    expect(np({ ingress: [{ ports: [{ port: 80 }] }] }).spec).toEqual({
      podSelector: {},
      ingress: [{ ports: [{ protocol: 'TCP', port: 80 }] }],
      policyTypes: ['Ingress'],
    });
    expect(np({ podSelector: {}, egress: [{}] }).spec).toMatchObject({ policyTypes: ['Ingress', 'Egress'] });
    expect(np({ podSelector: {}, egress: [] }).spec).toMatchObject({ policyTypes: ['Ingress'] });
  });

  test('drops unknown fields and names them', () => {
    const decoded = decodeObject('NetworkPolicy', 'networking.k8s.io/v1', {
      metadata: { name: 'p' },
      spec: { podSelector: {}, ingress: [{ form: [] }] },
    });
    expect(decoded.unknownFields).toEqual(['spec.ingress[0].form']);
    expect(decoded.object.spec).toEqual({ podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] });
  });

  test('a value of the wrong JSON type is a decode error like the real one', () => {
    expect(() =>
      decodeObject('NetworkPolicy', 'networking.k8s.io/v1', {
        metadata: { name: 'p' },
        spec: { podSelector: {}, ingress: [{ ports: [{ endPort: '90' }] }] },
      }),
    ).toThrow(
      new DecodeError(
        'NetworkPolicy in version "v1" cannot be handled as a NetworkPolicy: json: cannot unmarshal string into Go struct field NetworkPolicyPort.spec.ingress.ports.endPort of type int32',
      ),
    );
  });
});

describe('CIDR parsing', () => {
  test.each([
    ['10.0.0.0/8', true],
    ['10.1.2.3/8', true],
    ['::/0', true],
    ['2001:db8::1/128', true],
    ['::ffff:10.0.0.1/128', true],
    ['10.0.0.0', false],
    ['10.0.0.256/8', false],
    ['2001:db8:::1/64', false],
    ['2001:db8::/129', false],
  ])('%s parses: %s', (text, ok) => {
    expect(parseCidr(text) !== undefined).toBe(ok);
  });
});
