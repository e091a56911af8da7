import type { AlertRecord } from '../adapters/redis/alert-store';
import { parseRequest } from '../core/request/parser';
import { planRequest } from '../core/use-cases/plan-request';
import { allowRequestText } from './drop-alerts';

function alert(group: Partial<AlertRecord['group']>): AlertRecord {
  return {
    id: 'w-1',
    group: {
      cluster: 'prod',
      direction: 'ingress',
      source: { kind: 'workload', namespace: 'frontend', name: 'nginx', selector: { app: 'nginx' } },
      destination: {
        kind: 'workload',
        namespace: 'backend',
        name: 'api',
        selector: { 'app.kubernetes.io/name': 'api' },
      },
      port: 8080,
      protocol: 6,
      ...group,
    },
    windowStart: 0,
    windowEnd: 300_000,
    count: 1,
    nodes: ['node-a'],
    firstAt: '',
    lastAt: '',
    sample: { source: '10.244.1.10', destination: '10.244.2.20', reason: 'NO_RULE_INGRESS' },
  };
}

describe('Request allow: the request written for an alert', () => {
  it.each([
    [alert({}), 'allow frontend/app=nginx to backend/app.kubernetes.io/name=api on tcp/8080'],
    [
      alert({ source: { kind: 'address', address: '203.0.113.7' }, port: 443 }),
      'allow 203.0.113.7/32 to backend/app.kubernetes.io/name=api on tcp/443',
    ],
    [
      alert({
        direction: 'egress',
        source: { kind: 'workload', namespace: 'jobs', name: 'backup', selector: {} },
        destination: { kind: 'address', address: '2001:db8::7' },
        protocol: 17,
        port: 53,
      }),
      'allow jobs/* to 2001:db8::7/128 on udp/53',
    ],
  ])('%#: reads in the request language, narrowest first', (record, expected) => {
    const text = allowRequestText(record);
    expect(text).toBe(expected);
    expect(() => parseRequest(text)).not.toThrow();
    expect(planRequest(text, undefined).kind).toBe('policies');
  });

  it('refuses a flow NetworkPolicy cannot allow (ICMP) rather than open every port', () => {
    expect(() => allowRequestText(alert({ protocol: 1, port: 0 }))).toThrow(/only TCP, UDP and SCTP/);
  });
});
