/**
 * Drop alerts end to end (issue 10) over the control-plane harness: drop events XADDed to the
 * cluster's stream as node agents do, the real policy worker (with its alert worker), the real bot
 * (its outbound worker posting to the Slack stand-in), the Kubernetes API stand-in. One aggregated
 * message per flow in the right channel, edited in place, named with workloads and the policy that
 * blocks it; Request allow opens the allow preview; approved, the policy is applied.
 */
import { DROP_EVENT_VERSION, type DropEvent } from '../../src/contracts/drop-events';
import {
  ALERT_CHANNEL,
  ALICE,
  APPROVAL_CHANNEL,
  BACKEND_ALERT_CHANNEL,
  BOB,
  buttonValue,
  REQUEST_CHANNEL,
  startControlPlane,
  type ControlPlane,
} from '../../src/devtools/control-plane';

jest.setTimeout(60_000);

const WINDOW_MS = 300_000;
const nginx = (namespace: string, name: string) => ({ namespace, name, labels: { app: 'nginx' } });

/** `count` drops of frontend/nginx -> backend/nginx tcp/80 seen by backend's agent, spread over 3 nodes. */
function frontendToBackend(count: number, at: string): DropEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    v: DROP_EVENT_VERSION,
    cluster: 'prod',
    node: `node-${i % 3}`,
    at,
    pod: nginx('backend', 'nginx-backend'),
    peer: nginx('frontend', 'nginx-frontend'),
    direction: 'ingress',
    source: '10.244.1.10',
    destination: '10.244.2.20',
    sourcePort: 40000 + i,
    destinationPort: 80,
    protocol: 6,
    peerAddress: '10.244.1.10',
    reason: 'NO_RULE_INGRESS',
    suppressed: 0,
  }));
}

function frontendToOutside(at: string): DropEvent {
  return {
    ...frontendToBackend(1, at)[0]!,
    pod: nginx('frontend', 'nginx-frontend'),
    peer: null,
    direction: 'egress',
    source: '10.244.1.10',
    destination: '198.51.100.7',
    destinationPort: 443,
    peerAddress: '198.51.100.7',
    reason: 'NO_RULE_EGRESS',
  };
}

const HEADLINE = 'frontend/nginx -&gt; backend/nginx tcp/80';

describe('drop alerts', () => {
  let plane: ControlPlane;
  // Every event of the test in one window, whenever it runs.
  const at = new Date(Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 1000).toISOString();

  beforeAll(async () => {
    plane = await startControlPlane();
    await plane.startWorker();
    await plane.waitForSnapshot();
  });
  afterAll(async () => plane.close());

  it("posts one aggregated message in the destination namespace's channel and edits it as drops arrive", async () => {
    await plane.publishDrops(frontendToBackend(3, at));
    const first = await plane.slack.waitForMessage(
      BACKEND_ALERT_CHANNEL,
      (m) => m.text.includes(`${HEADLINE}: 3 drops`),
      10_000,
    );
    expect(first.text).toBe(
      `${HEADLINE}: 3 drops in the last 5 min, 3 nodes, blocked by default-deny-ingress`,
    );
    expect(JSON.stringify(first.blocks)).toContain(
      'isolated for ingress by backend/default-deny-ingress; it has no ingress rule, so no ingress is allowed',
    );

    await plane.publishDrops(frontendToBackend(1201, at));
    const edited = await plane.slack.waitForMessage(
      BACKEND_ALERT_CHANNEL,
      (m) => m.ts === first.ts && m.text.includes('1,204 drops'),
      15_000,
    );
    expect(edited.text).toBe(
      `${HEADLINE}: 1,204 drops in the last 5 min, 3 nodes, blocked by default-deny-ingress`,
    );
    const alerts = plane.slack.messages(BACKEND_ALERT_CHANNEL).filter((m) => m.text.includes(HEADLINE));
    expect(alerts).toHaveLength(1);
    // 1,204 drops, a handful of Slack calls: the rest folded into the count.
    expect(edited.revisions.length).toBeLessThan(20);
  });

  it('routes a namespace without its own channel to the default one, naming the outside address', async () => {
    await plane.publishDrops([frontendToOutside(at)]);
    const alert = await plane.slack.waitForMessage(
      ALERT_CHANNEL,
      (m) => m.text.includes('frontend/nginx -&gt; 198.51.100.7 tcp/443'),
      10_000,
    );
    expect(alert.text).toContain('1 drop in the last 5 min, 1 node');
    expect(plane.slack.messages(BACKEND_ALERT_CHANNEL).some((m) => m.text.includes('198.51.100.7'))).toBe(
      false,
    );
  });

  it('mutes and unmutes by namespace or flow, for a time', async () => {
    const muted = await plane.slash('mute frontend/nginx -> backend 1h');
    expect(muted.reply.text).toMatch(
      /Drop alerts for frontend\/nginx -&gt; backend are muted until \d{4}-\d\d-\d\d/,
    );
    expect((await plane.slash('mute')).reply.text).toBe('1 mute in force:');
    expect(JSON.stringify((await plane.slash('mute')).reply.blocks)).toContain(
      '`frontend/nginx -&gt; backend` until',
    );
    expect((await plane.slash('unmute frontend/nginx -> backend')).reply.text).toContain('are unmuted');
    expect((await plane.slash('mute')).reply.text).toBe('No drop alerts are muted.');
    expect((await plane.slash('unmute payments')).reply.text).toContain('were not muted');
    expect((await plane.slash('mute backend forever')).reply.text).toMatch(/E_USAGE/);
  });

  it('Request allow opens the allow preview for the flow; approved, the policy is applied', async () => {
    const alert = plane.slack.messages(BACKEND_ALERT_CHANNEL).find((m) => m.text.includes(HEADLINE))!;
    const click = await plane.click({
      actionId: 'netpol_alert_request_allow',
      value: buttonValue(alert.blocks, 'netpol_alert_request_allow'),
      user: ALICE,
      channel: BACKEND_ALERT_CHANNEL,
      messageTs: alert.ts,
    });
    expect(click.ack.status).toBe(200);
    const preview = await plane.replyOn(click.responseUrlId);
    expect(preview.response_type).toBe('ephemeral');
    expect(JSON.stringify(preview.blocks)).toContain(
      'allow frontend/app=nginx to backend/app=nginx on tcp/80',
    );
    // The alert itself stays as it was.
    expect(preview.replace_original).not.toBe(true);

    const draftId = buttonValue(preview.blocks, 'netpol_submit');
    await plane.click({
      actionId: 'netpol_submit',
      value: draftId,
      user: ALICE,
      channel: REQUEST_CHANNEL,
      ephemeral: true,
    });
    const approval = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => JSON.stringify(m.blocks ?? []).includes(draftId),
      10_000,
    );
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    const applied = await plane.kube.waitFor(
      (store) =>
        (
          store.list('networkpolicies', 'backend') as {
            metadata: { annotations?: Record<string, string> };
            spec: unknown;
          }[]
        ).find((p) => p.metadata.annotations?.['netpol.io/request-id'] === draftId),
      10_000,
    );
    expect(applied.spec).toEqual({
      podSelector: { matchLabels: { app: 'nginx' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } },
              podSelector: { matchLabels: { app: 'nginx' } },
            },
          ],
          ports: [{ protocol: 'TCP', port: 80 }],
        },
      ],
    });

    // A drop still in flight once the policy is in: the alert says the policies allow the flow
    // now, and offers no Request allow any more.
    await plane.waitForSnapshot((state) =>
      state.policies.some((p) => p.metadata.annotations?.['netpol.io/request-id'] === draftId),
    );
    await plane.publishDrops(frontendToBackend(1, at));
    const allowed = await plane.slack.waitForMessage(
      BACKEND_ALERT_CHANNEL,
      (m) => m.ts === alert.ts && JSON.stringify(m.blocks).includes('the policies allow it now'),
      15_000,
    );
    expect(allowed.text).toBe(`${HEADLINE}: 1,205 drops in the last 5 min, 3 nodes`);
    expect(JSON.stringify(allowed.blocks)).not.toContain('netpol_alert_request_allow');
  });
});
