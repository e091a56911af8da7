/**
 * `/netpol suggest` end to end (issue 10) over the control-plane harness: flows written to the flow
 * store as node agents write them, the real bot and policy worker, the Slack and Kubernetes API
 * stand-ins. The suggestion offers a checkbox per flow; one allowed flow is unticked; Request
 * approval sends the ticked rest as one request; approved, the policies are applied, and under the
 * cluster's resulting state (the evaluator) the ticked flows pass and the unticked one does not.
 * The picture of the flows (as `/netpol graph` draws it) is shared in the channel beside it.
 */
import Redis from 'ioredis';
import { ClusterCache } from '../../src/adapters/redis/cluster-cache';
import { FlowStore } from '../../src/adapters/redis/flow-store';
import type { FlowPeer, ObservedFlow } from '../../src/contracts/observed-flows';
import { buildPolicyIndex, evaluateConnection, type TrafficEndpoint } from '../../src/core/evaluator';
import {
  ALICE,
  APPROVAL_CHANNEL,
  BOB,
  buttonValue,
  REQUEST_CHANNEL,
  startControlPlane,
  type ControlPlane,
} from '../../src/devtools/control-plane';

jest.setTimeout(60_000);

const nginx = (namespace: string): FlowPeer => ({
  kind: 'workload',
  namespace,
  name: 'nginx',
  selector: { app: 'nginx' },
});
const DNS: FlowPeer = {
  kind: 'workload',
  namespace: 'kube-system',
  name: 'kube-dns',
  selector: { 'k8s-app': 'kube-dns' },
};

function flow(
  source: FlowPeer,
  destination: FlowPeer,
  protocol: ObservedFlow['protocol'],
  port: number,
  verdict: ObservedFlow['verdict'] = 'allowed',
): ObservedFlow {
  const now = new Date().toISOString();
  return { source, destination, protocol, port, verdict, count: 7, firstSeen: now, lastSeen: now };
}

interface Checkboxes {
  action_id: string;
  options: { value: string; text: { text: string } }[];
  initial_options?: { value: string }[];
}

function checkboxesOf(blocks: unknown): { blockId: string; element: Checkboxes }[] {
  return (blocks as { block_id?: string; accessory?: Checkboxes & { type: string } }[]).flatMap((b) =>
    b.accessory?.type === 'checkboxes' ? [{ blockId: b.block_id!, element: b.accessory }] : [],
  );
}

describe('/netpol suggest', () => {
  let plane: ControlPlane;
  let client: Redis;

  beforeAll(async () => {
    plane = await startControlPlane();
    client = new Redis(plane.redis.url, { maxRetriesPerRequest: null });
    await plane.startWorker();
    await plane.waitForSnapshot();
    // As the agents write them (src/agent/flow-reporter.ts).
    await new FlowStore(client, plane.config.prefix).record(
      'prod',
      [
        flow(nginx('frontend'), nginx('backend'), 'TCP', 80),
        flow(nginx('frontend'), nginx('backend'), 'TCP', 8080),
        flow(nginx('frontend'), nginx('backend'), 'TCP', 9090, 'blocked'),
        flow(nginx('backend'), DNS, 'UDP', 53),
        flow(nginx('backend'), { kind: 'address', address: '203.0.113.7' }, 'TCP', 443),
      ],
      new Date(),
    );
  });
  afterAll(async () => {
    client.disconnect();
    await plane.close();
  });

  it('suggests, untick one, Request approval, approve: the ticked flows pass and the others do not', async () => {
    const { reply } = await plane.slash('suggest backend');
    const shown = JSON.stringify(reply.blocks);
    expect(shown).toContain('Suggested policies');
    const [boxes] = checkboxesOf(reply.blocks);
    expect(boxes!.element.options.map((o) => o.text.text)).toEqual([
      'backend/nginx → 203.0.113.7 tcp/443',
      'backend/nginx → kube-system/kube-dns udp/53',
      'frontend/nginx → backend/nginx tcp/80',
      'frontend/nginx → backend/nginx tcp/8080',
      'frontend/nginx → backend/nginx tcp/9090',
    ]);
    // The blocked flow starts unticked, and is named in the warning.
    expect(boxes!.element.initial_options!.map((o) => o.value)).toHaveLength(4);
    expect(shown).toContain('keeps blocking it unless ticked');

    // Untick frontend -> backend tcp/8080, as the person would, and click Request approval.
    const unticked = boxes!.element.options.find((o) => o.text.text.endsWith('tcp/8080'))!.value;
    const ticked = boxes!.element.initial_options!.filter((o) => o.value !== unticked);
    const suggestionId = buttonValue(reply.blocks, 'netpol_suggest_request_approval');
    const click = await plane.click({
      actionId: 'netpol_suggest_request_approval',
      value: suggestionId,
      user: ALICE,
      channel: REQUEST_CHANNEL,
      ephemeral: true,
      state: {
        values: {
          [boxes!.blockId]: {
            [boxes!.element.action_id]: { type: 'checkboxes', selected_options: ticked },
          },
        },
      },
    });
    expect(click.ack.status).toBe(200);
    const submitted = await plane.replyOn(click.responseUrlId);
    expect(JSON.stringify(submitted.blocks)).toContain(suggestionId);

    // One request, one approval card, approved by an approver.
    const approval = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => JSON.stringify(m.blocks ?? []).includes(suggestionId),
      10_000,
    );
    const card = JSON.stringify(approval.blocks);
    expect(card).toContain('deny all in backend');
    expect(card).toContain('seen but not allowed by this change: frontend/nginx → backend/nginx tcp/8080');
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });

    // Applied: the worker's view of the cluster holds the three policies of the request.
    const cache = new ClusterCache(client, plane.config.prefix);
    const deadline = Date.now() + 15_000;
    let state;
    for (;;) {
      state = (await cache.read('prod'))?.state;
      const ours = state?.policies.filter(
        (p) => p.metadata.annotations?.['netpol.io/request-id'] === suggestionId,
      );
      if (ours !== undefined && ours.length === 3) break;
      if (Date.now() > deadline) throw new Error(`policies not applied: ${JSON.stringify(ours)}`);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const index = buildPolicyIndex(state!);
    const pod = (namespace: string): TrafficEndpoint => ({
      kind: 'pod',
      pod: state!.pods.find((p) => p.namespace === namespace)!,
    });
    const allowed = (from: TrafficEndpoint, to: TrafficEndpoint, port: number) =>
      evaluateConnection(index, from, to, port, 'TCP').allowed;
    expect(allowed(pod('frontend'), pod('backend'), 80)).toBe(true);
    expect(allowed(pod('backend'), { kind: 'ip', ip: '203.0.113.7' }, 443)).toBe(true);
    expect(allowed(pod('frontend'), pod('backend'), 8080)).toBe(false); // unticked
    expect(allowed(pod('frontend'), pod('backend'), 9090)).toBe(false); // blocked when seen
    expect(allowed(pod('backend'), { kind: 'ip', ip: '203.0.113.8' }, 443)).toBe(false);
    expect(allowed(pod('backend'), pod('frontend'), 80)).toBe(false);
  });

  it('shares the picture of the same flows in the channel beside the suggestion', async () => {
    const earlier = new Set(plane.slack.files().map((f) => f.id));
    const { reply } = await plane.slash('suggest backend');
    expect(JSON.stringify(reply.blocks)).toContain('Suggested policies');
    const file = await plane.slack.waitForFile(
      (f) => f.shared?.channel === REQUEST_CHANNEL && !earlier.has(f.id),
      20_000,
    );
    expect(file).toMatchObject({
      filename: 'netpol-graph-prod-backend.png',
      title: 'Observed flows in backend (prod)',
    });
    // A PNG (its signature), drawn from the five flows the suggestion offers.
    expect(file.bytes!.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const message = plane.slack.message(REQUEST_CHANNEL, file.shared!.ts)!;
    expect(message.text).toContain('Observed flows to and from *backend*');
    expect(message.text).toContain('1 blocked flow (red)');
    expect(message.text).toContain(`<@${ALICE}>`);
  });

  it('shares no picture when nothing was seen', async () => {
    const earlier = new Set(plane.slack.files().map((f) => f.id));
    const { reply } = await plane.slash('suggest quiet');
    expect(JSON.stringify(reply.blocks)).toContain('quiet');
    // The channel's outbound queue is in order: once backend's picture is in, quiet's would be too.
    await plane.slash('suggest backend');
    await plane.slack.waitForFile((f) => f.shared?.channel === REQUEST_CHANNEL && !earlier.has(f.id), 20_000);
    const added = plane.slack.files().filter((f) => !earlier.has(f.id));
    expect(added.map((f) => f.filename)).toEqual(['netpol-graph-prod-backend.png']);
  });

  it('a second Request approval of the same suggestion is refused', async () => {
    const { reply } = await plane.slash('suggest backend');
    const suggestionId = buttonValue(reply.blocks, 'netpol_suggest_request_approval');
    const clickOnce = () =>
      plane.click({
        actionId: 'netpol_suggest_request_approval',
        value: suggestionId,
        user: ALICE,
        channel: REQUEST_CHANNEL,
        ephemeral: true,
      });
    await plane.replyOn((await clickOnce()).responseUrlId);
    const again = await plane.replyOn((await clickOnce()).responseUrlId);
    expect(JSON.stringify(again.blocks)).toContain('already sent for approval');
  });

  it('names what is wrong: no namespace', async () => {
    const { reply } = await plane.slash('suggest');
    expect(JSON.stringify(reply.blocks)).toContain('suggest needs a namespace');
  });
});
