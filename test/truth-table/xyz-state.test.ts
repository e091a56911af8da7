/**
 * Keeps the committed xyz-state.yaml (read by the CLI and by people trying it) equal to the model
 * the truth-table cases run against, and checks the model is the one upstream describes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { NAMESPACE_NAME_LABEL } from '../../src/core/k8s/types';
import { toKubeList } from './kube-list';
import { podIP, XYZ_PODS, xyzClusterState } from './xyz-model';

describe('xyz model', () => {
  it('has 9 pods, sorted, each with its own IP and six named serving ports', () => {
    const state = xyzClusterState();
    expect(state.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(XYZ_PODS);
    expect([...XYZ_PODS].sort()).toEqual(XYZ_PODS);
    expect(new Set(state.pods.map((p) => p.ip)).size).toBe(9);
    for (const pod of state.pods) {
      expect(pod.ip).toBe(podIP(pod.namespace, pod.name));
      expect(pod.labels).toEqual({ pod: pod.name });
      expect(pod.ports.map((p) => `${p.name}:${p.containerPort}/${p.protocol}`)).toEqual([
        'serve-80-tcp:80/TCP',
        'serve-80-udp:80/UDP',
        'serve-80-sctp:80/SCTP',
        'serve-81-tcp:81/TCP',
        'serve-81-udp:81/UDP',
        'serve-81-sctp:81/SCTP',
      ]);
    }
    for (const ns of state.namespaces) {
      expect(ns.labels).toEqual({ ns: ns.name, [NAMESPACE_NAME_LABEL]: ns.name });
    }
  });

  it('is what xyz-state.yaml holds', () => {
    const text = readFileSync(join(__dirname, 'xyz-state.yaml'), 'utf8');
    expect(parse(text)).toEqual(toKubeList(xyzClusterState()));
  });
});
