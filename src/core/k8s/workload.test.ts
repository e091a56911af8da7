import { baseName, workloadOf } from './workload';

describe('workloadOf', () => {
  it('names a pod by app.kubernetes.io/name, then app, selecting by that label alone', () => {
    expect(
      workloadOf({ namespace: 'f', name: 'x-1', labels: { 'app.kubernetes.io/name': 'nginx', app: 'web' } }),
    ).toEqual({
      kind: 'workload',
      namespace: 'f',
      name: 'nginx',
      selector: { 'app.kubernetes.io/name': 'nginx' },
    });
  });

  it('falls back to the pod name without its generated suffix and its own non-generated labels', () => {
    expect(baseName('web-7d4b9c8f5-x2k4q')).toBe('web');
    expect(baseName('node-exporter-x2k4q')).toBe('node-exporter');
    const w = workloadOf({
      namespace: 'db',
      name: 'cache-5f6d7c8b9-qwert',
      labels: { role: 'cache', 'pod-template-hash': '5f6d7c8b9' },
    });
    expect(w.name).toBe('cache');
    expect({ ...w.selector }).toEqual({ role: 'cache' });
  });
});
