import type { FlowPeer, ObservedFlow } from '../../contracts/observed-flows';
import { auditBaseline, wouldBlock } from './would-block';
import { flowId } from '../../adapters/redis/flow-store';

const workload = (namespace: string, name: string): FlowPeer => ({
  kind: 'workload',
  namespace,
  name,
  selector: { app: name },
});
const DENY = 'backend/netpol-deny-all-backend-1a2b3c4d';
const APPLIED = '2030-01-01T00:00:00.000Z';

function flow(overrides: Partial<ObservedFlow> = {}): ObservedFlow {
  return {
    source: workload('frontend', 'nginx'),
    destination: workload('backend', 'api'),
    protocol: 'TCP',
    port: 8080,
    verdict: 'would-block',
    auditPolicies: [DENY],
    count: 5,
    firstSeen: '2030-01-01T00:00:10.000Z',
    lastSeen: '2030-01-01T00:00:20.000Z',
    ...overrides,
  };
}

const options = { policies: new Set([DENY]), since: APPLIED };

describe('wouldBlock', () => {
  it("keeps the request's would-block flows seen since the apply, most first", () => {
    const flows = wouldBlock(
      [
        flow(),
        flow({ port: 9090, count: 40 }),
        flow({ source: { kind: 'address', address: '198.51.100.7' }, port: 443, count: 2 }),
      ],
      options,
    );
    expect(flows).toEqual([
      {
        source: 'frontend/nginx',
        destination: 'backend/api',
        port: 'tcp/9090',
        count: 40,
        blockedBy: [DENY],
      },
      { source: 'frontend/nginx', destination: 'backend/api', port: 'tcp/8080', count: 5, blockedBy: [DENY] },
      { source: '198.51.100.7', destination: 'backend/api', port: 'tcp/443', count: 2, blockedBy: [DENY] },
    ]);
  });

  it("leaves out allowed and blocked flows, other policies' would-blocks and flows last seen before the apply", () => {
    const flows = wouldBlock(
      [
        flow({ verdict: 'allowed', auditPolicies: undefined }),
        flow({ verdict: 'blocked', auditPolicies: undefined }),
        flow({ auditPolicies: ['backend/someone-elses-audit'] }),
        flow({ auditPolicies: undefined }),
        flow({ lastSeen: '2029-12-31T23:59:59.000Z' }),
      ],
      options,
    );
    expect(flows).toEqual([]);
  });

  it('counts a flow listed under both of its namespaces once, naming only the request policies', () => {
    const both = flow({ auditPolicies: [DENY, 'frontend/other-audit'] });
    expect(wouldBlock([both, both], options)).toEqual([
      { source: 'frontend/nginx', destination: 'backend/api', port: 'tcp/8080', count: 5, blockedBy: [DENY] },
    ]);
  });

  it('carries the nodes that saw each flow, their count past the names, and none when unknown', () => {
    const flows = wouldBlock(
      [
        flow({ nodes: ['node-a', 'node-b'] }),
        flow({ port: 9090, count: 40, nodes: ['node-c'], nodeCount: 30 }),
        flow({ port: 443, count: 2 }),
      ],
      options,
    );
    expect(flows.map((f) => [f.port, f.nodes, f.nodeCount])).toEqual([
      ['tcp/9090', ['node-c'], 30],
      ['tcp/8080', ['node-a', 'node-b'], undefined],
      ['tcp/443', undefined, undefined],
    ]);
    expect(flows[2]).not.toHaveProperty('nodes');
  });

  it("a flow read under both namespaces has the union of both reads' nodes", () => {
    // The same hash read twice, an agent's write landing between the two reads.
    const [line] = wouldBlock([flow({ nodes: ['node-b'] }), flow({ nodes: ['node-a', 'node-b'] })], options);
    expect(line).toMatchObject({ count: 5, nodes: ['node-a', 'node-b'] });
  });

  describe('an earlier audit of the same policy names', () => {
    // Seen in an earlier audit (first seen before this approval) and again in this one.
    const earlier = flow({
      firstSeen: '2029-12-31T23:00:00.000Z',
      lastSeen: '2029-12-31T23:10:00.000Z',
      count: 40,
    });
    const again = { ...earlier, count: 43, lastSeen: '2030-01-01T00:00:30.000Z' };

    it('is recorded in the baseline; flows first seen since the approval are not', () => {
      expect(auditBaseline([earlier, earlier, flow({ port: 9090 })], options)).toEqual([
        { flow: flowId(earlier), count: 40, firstSeen: earlier.firstSeen },
      ]);
      expect(
        auditBaseline([flow({ auditPolicies: ['backend/other'], firstSeen: earlier.firstSeen })], options),
      ).toEqual([]);
    });

    it('does not inflate this report: only what was counted since the baseline, the rest as it is', () => {
      const baseline = auditBaseline([earlier], options);
      expect(wouldBlock([again, flow({ port: 9090, count: 2 })], { ...options, baseline })).toEqual([
        {
          source: 'frontend/nginx',
          destination: 'backend/api',
          port: 'tcp/8080',
          count: 3,
          blockedBy: [DENY],
        },
        {
          source: 'frontend/nginx',
          destination: 'backend/api',
          port: 'tcp/9090',
          count: 2,
          blockedBy: [DENY],
        },
      ]);
      // Not seen again since: nothing to report for it.
      expect(
        wouldBlock([{ ...earlier, lastSeen: '2030-01-01T00:00:30.000Z' }], { ...options, baseline }),
      ).toEqual([]);
    });

    it('a flow that expired and was written anew (first seen after the baseline) is counted whole', () => {
      const baseline = auditBaseline([earlier], options);
      const anew = flow({ count: 4 });
      expect(wouldBlock([anew], { ...options, baseline }).map((f) => f.count)).toEqual([4]);
    });
  });
});
