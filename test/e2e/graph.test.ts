/**
 * `/netpol graph` end to end (issue 10) over the control-plane harness: flows written to the flow
 * store as node agents write them, the real bot (its outbound worker uploading through Slack's
 * external upload to the Slack stand-in), the policy worker's snapshot. A real PNG arrives in the
 * channel the command was typed in, with a comment naming the namespace and what was drawn.
 * To look at the picture: GRAPH_PNG_OUT=/tmp/graph.png npx jest test/e2e/graph.test.ts
 */
import { writeFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import Redis from 'ioredis';
import { FlowStore } from '../../src/adapters/redis/flow-store';
import type { FlowPeer, ObservedFlow } from '../../src/contracts/observed-flows';
import { REQUEST_CHANNEL, startControlPlane, type ControlPlane } from '../../src/devtools/control-plane';

jest.setTimeout(60_000);

const nginx = (namespace: string): FlowPeer => ({
  kind: 'workload',
  namespace,
  name: 'nginx',
  selector: { app: 'nginx' },
});

function flow(
  source: FlowPeer,
  destination: FlowPeer,
  port: number,
  verdict: ObservedFlow['verdict'] = 'allowed',
): ObservedFlow {
  const now = new Date().toISOString();
  return { source, destination, protocol: 'TCP', port, verdict, count: 12, firstSeen: now, lastSeen: now };
}

/** Width, height, and whether the image is more than a blank page (several colours). */
function pngFacts(png: Buffer): { width: number; height: number; colours: number } {
  expect(png.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  return {
    width: png.readUInt32BE(16),
    height: png.readUInt32BE(20),
    colours: new Set(inflateSync(Buffer.concat(idat))).size,
  };
}

describe('/netpol graph', () => {
  let plane: ControlPlane;
  let client: Redis;

  beforeAll(async () => {
    plane = await startControlPlane();
    client = new Redis(plane.redis.url, { maxRetriesPerRequest: null });
    await plane.startWorker();
    await plane.waitForSnapshot();
    await new FlowStore(client, plane.config.prefix).record(
      'prod',
      [
        flow(nginx('frontend'), nginx('backend'), 80),
        flow(nginx('frontend'), nginx('backend'), 9090, 'blocked'),
        flow(nginx('backend'), { kind: 'address', address: '203.0.113.7', name: 'payments' }, 443),
      ],
      new Date(),
    );
  });
  afterAll(async () => {
    client.disconnect();
    await plane.close();
  });

  it('shares a PNG of the namespace in the channel, and tells the person what it drew', async () => {
    const { reply } = await plane.slash('graph backend');
    expect(reply.body.text).toContain('The flow graph of backend is being posted in this channel');
    expect(reply.body.text).toContain(
      '2 workloads, 1 outside address; 2 allowed flows (green), 1 blocked flow (red)',
    );

    const file = await plane.slack.waitForFile((f) => f.shared?.channel === REQUEST_CHANNEL, 20_000);
    expect(file).toMatchObject({
      filename: 'netpol-graph-prod-backend.png',
      title: 'Observed flows in backend (prod)',
    });
    const png = file.bytes!;
    expect(png.length).toBe(file.length);
    if (process.env.GRAPH_PNG_OUT !== undefined) writeFileSync(process.env.GRAPH_PNG_OUT, png);
    const facts = pngFacts(png);
    expect(facts.width).toBeGreaterThan(300);
    expect(facts.width).toBeLessThanOrEqual(4000);
    expect(facts.height).toBeGreaterThan(100);
    expect(facts.colours).toBeGreaterThan(10);

    const message = plane.slack.message(REQUEST_CHANNEL, file.shared!.ts)!;
    expect(message.text).toContain('Observed flows to and from *backend*');
    expect(message.files).toEqual([expect.objectContaining({ mimetype: 'image/png', size: png.length })]);
    expect(plane.slack.callsTo('files.completeUploadExternal')).toHaveLength(1);
  });

  it('says there is nothing to draw for a namespace with no flows and no workloads, and uploads nothing', async () => {
    const before = plane.slack.files().length;
    const { reply } = await plane.slash('graph quiet');
    expect(reply.body.text).toContain('No flows were observed to or from quiet');
    expect(plane.slack.files()).toHaveLength(before);
  });

  it('names a missing namespace', async () => {
    const { reply } = await plane.slash('graph');
    expect(reply.body.text).toContain('graph needs a namespace');
    // The hint is in the message's blocks.
    expect(JSON.stringify(reply.body.blocks)).toContain('/netpol graph backend');
  });
});
