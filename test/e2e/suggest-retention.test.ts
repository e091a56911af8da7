/**
 * How long observed flows are kept is the agents' setting (NETPOL_FLOW_RETENTION), not the bot's
 * (issue 10): the agents save it with the flows, and `/netpol suggest` names it and, with `/netpol
 * graph`, reads flows as far back as it reaches. Over the control-plane harness (the real bot, run
 * as run-bot wires it with the 7-day default, and the Slack stand-in), flows written to the flow
 * store as agents configured with 14 days write them.
 */
import Redis from 'ioredis';
import { FlowStore } from '../../src/adapters/redis/flow-store';
import type { FlowPeer, ObservedFlow } from '../../src/contracts/observed-flows';
import { startControlPlane, type ControlPlane } from '../../src/devtools/control-plane';

jest.setTimeout(60_000);

const DAY = 86_400_000;

const workload = (namespace: string, name: string): FlowPeer => ({
  kind: 'workload',
  namespace,
  name,
  selector: { app: name },
});

/** frontend/nginx to a backend workload, last seen `agoMs` ago. */
function seen(to: string, port: number, agoMs: number): ObservedFlow {
  const when = new Date(Date.now() - agoMs).toISOString();
  return {
    source: workload('frontend', 'nginx'),
    destination: workload('backend', to),
    protocol: 'TCP',
    port,
    verdict: 'allowed',
    count: 3,
    firstSeen: when,
    lastSeen: when,
  };
}

describe("observed flows' retention, as the agents keep them", () => {
  let plane: ControlPlane;
  let client: Redis;

  beforeAll(async () => {
    plane = await startControlPlane();
    client = new Redis(plane.redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    client.disconnect();
    await plane.close();
  });

  it('before any agent has written, the suggestion claims only the default retention', async () => {
    const { reply } = await plane.slash('suggest backend');
    const text = JSON.stringify(reply.blocks);
    expect(text).toContain('and keep them for their `NETPOL_FLOW_RETENTION`, 7 days by default.');
  });

  it('agents keeping 14 days: suggest names 14 days and offers a flow seen 10 days ago; graph draws it', async () => {
    await new FlowStore(client, plane.config.prefix, { retentionMs: 14 * DAY }).record(
      'prod',
      [seen('api', 80, 10 * DAY), seen('web', 8080, 0)],
      new Date(),
    );
    const { reply } = await plane.slash('suggest backend');
    const text = JSON.stringify(reply.blocks);
    expect(text).toContain('allow exactly the 2 flows seen in the last 14 days, deny the rest');
    expect(text).toContain('frontend/nginx → backend/api tcp/80');
    expect(text).toContain('frontend/nginx → backend/web tcp/8080');

    const graph = await plane.slash('graph backend');
    // Both edges drawn, the 10-day-old one too (the bot's own 7 days would have left it out).
    expect(graph.reply.body.text).toContain('3 workloads, 0 outside addresses; 2 allowed flows (green)');
  });
});
