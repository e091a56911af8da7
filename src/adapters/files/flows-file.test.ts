import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFlowsFile, parseFlowsFile } from './flows-file';

const flow = {
  source: { kind: 'workload', namespace: 'frontend', name: 'nginx', selector: { app: 'nginx' } },
  destination: { kind: 'address', address: '203.0.113.7' },
  protocol: 'TCP',
  port: 443,
  verdict: 'allowed',
  count: 3,
  firstSeen: '2026-12-01T10:00:00.000Z',
  lastSeen: '2026-12-01T10:05:00.000Z',
};

describe('flows file', () => {
  it('reads a valid file', () => {
    const file = parseFlowsFile(JSON.stringify({ v: 1, cluster: 'prod', flows: [flow] }), 'f.json');
    expect(file.flows).toHaveLength(1);
    expect(file.flows[0]!.destination).toEqual({ kind: 'address', address: '203.0.113.7' });
  });

  it("keeps a flow's nodes (issue 10), and names a node that is not a string", () => {
    const seen = { ...flow, nodes: ['node-a', 'node-b'], nodeCount: 20 };
    const file = parseFlowsFile(JSON.stringify({ v: 1, flows: [seen, flow] }), 'f.json');
    expect(file.flows.map((f) => [f.nodes, f.nodeCount])).toEqual([
      [['node-a', 'node-b'], 20],
      [undefined, undefined],
    ]);
    expect(() =>
      parseFlowsFile(JSON.stringify({ v: 1, flows: [{ ...flow, nodes: [7] }] }), 'f.json'),
    ).toThrow(/entry 0 \(flows\[0\]\.nodes\[0\]\)/);
  });

  it('names the bad entry and its field', () => {
    const bad = { ...flow, source: { ...flow.source, kind: 'pod' } };
    expect(() => parseFlowsFile(JSON.stringify({ v: 1, flows: [flow, flow, flow, bad] }), 'f.json')).toThrow(
      /^flows file f\.json: entry 3 \(flows\[3\]\.source\.kind\): /,
    );
    const port = { ...flow, port: 70000 };
    expect(() => parseFlowsFile(JSON.stringify({ v: 1, flows: [port] }), 'f.json')).toThrow(
      /entry 0 \(flows\[0\]\.port\)/,
    );
  });

  it('refuses another version, non-JSON and a missing file with E_FLOWS', async () => {
    expect(() => parseFlowsFile('{"v": 2, "flows": []}', 'f.json')).toThrow(
      expect.objectContaining({ code: 'E_FLOWS', message: expect.stringContaining('(v)') }),
    );
    expect(() => parseFlowsFile('{"v": 1, "flows": [', 'f.json')).toThrow(/flows file f\.json is not JSON/);
    const dir = mkdtempSync(join(tmpdir(), 'netpol-flows-'));
    try {
      await expect(loadFlowsFile(join(dir, 'absent.json'))).rejects.toThrow(
        /cannot read flows file .*: no such file/,
      );
      writeFileSync(join(dir, 'ok.json'), JSON.stringify({ v: 1, flows: [flow] }));
      await expect(loadFlowsFile(join(dir, 'ok.json'))).resolves.toMatchObject({ v: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
