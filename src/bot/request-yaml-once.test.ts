/**
 * A request's YAML is rendered once in the bot (at the preview) and shown from the stored record by
 * every later card: submit, the approval thread, the decision's edit, the card re-rendered at
 * delivery (through the applied state). A `yaml` field altered in Redis (on the draft or on the
 * request) is never shown: the cards show the rendering of the stored policies. Real Redis; the
 * renderer is injected and counts its calls.
 */
import Redis from 'ioredis';
import pino from 'pino';
import { DraftStore } from '../adapters/redis/draft-store';
import { RequestStore } from '../adapters/redis/request-store';
import { renderApprovalMessage, type SlackMessage } from '../adapters/slack/render';
import { ACTION_IDS, parseDecisionButtonValue } from '../adapters/slack/render/action-ids';
import type { SlackOutboundJob } from '../contracts/queues';
import { newRequestId } from '../contracts/request-id';
import type { RequestRecord } from '../contracts/request-record';
import { RequestYaml } from '../contracts/request-yaml';
import { DEFAULT_KEYWORD_OPTIONS } from '../core/policy/keywords';
import { renderPolicies } from '../core/policy/render-policies';
import { parseState } from '../core/state/load-state';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import type { BotConfig } from '../platform/config/config';
import { approvalCardSync, type ApprovalCardSync } from './approval-card';
import { ApprovalThread } from './approval-thread';
import { BotService } from './bot-service';

const STATE = parseState(`
kind: List
items:
  - { kind: Namespace, metadata: { name: backend } }
  - kind: Pod
    metadata: { name: api-0, namespace: backend, labels: { app: api } }
    status: { podIP: 10.1.0.6 }
`);

const REQUESTER = 'UREQUESTER';
const APPROVER = 'UAPPROVER';
const NOW = new Date('2030-01-01T00:00:00Z');
const MARKER = 'ALTERED-IN-REDIS';

const CONFIG: BotConfig = {
  slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: 'test-secret', port: 0, host: '127.0.0.1' },
  redisUrl: 'redis://unused',
  prefix: 'unused',
  clusters: ['prod'],
  defaultCluster: 'prod',
  approvalChannel: 'CAPPROVALS',
  approvers: { default: { users: [APPROVER], groups: [] }, namespaces: {} },
  requesters: { channels: ['CNETPOL'], users: [] },
  readers: { channels: [], users: [], groups: [] },
  requestTtlMs: 60 * 60 * 1000,
  labelKeys: ['app'],
  keywords: DEFAULT_KEYWORD_OPTIONS,
  logLevel: 'silent',
};

/** Everything a message shows, as JSON (the YAML sits in its blocks' texts). */
const shown = (message: { text: string; blocks?: unknown } | undefined): string =>
  message === undefined ? '' : `${message.text}\n${JSON.stringify(message.blocks ?? [])}`;

function buttonValue(message: { blocks?: unknown }, actionId: string): string {
  const blocks = (message.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[];
  const button = blocks.flatMap((block) => block.elements ?? []).find((b) => b.action_id === actionId);
  if (button?.value === undefined) throw new Error(`no ${actionId} button`);
  return button.value;
}

describe('a request’s YAML, rendered once', () => {
  let redis: TestRedis;
  let client: Redis;
  let prefix: string;
  let store: RequestStore;
  let posted: SlackOutboundJob[];
  let renders: number;
  let service: BotService;
  let cards: ApprovalCardSync;
  let thread: ApprovalThread;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });
  beforeEach(() => {
    prefix = `t-${Math.random().toString(36).slice(2)}`;
    store = new RequestStore(client, { prefix });
    posted = [];
    renders = 0;
    // One per process, shared by the handlers and the outbound worker's hooks (as in run-bot.ts).
    const requestYaml = new RequestYaml({
      render: (policies) => {
        renders += 1;
        return renderPolicies(policies, 'yaml');
      },
    });
    const outbox = {
      send: async (job: SlackOutboundJob) => {
        posted.push(job);
      },
    };
    const log = pino({ level: 'silent' });
    service = new BotService({
      config: CONFIG,
      store,
      drafts: new DraftStore(client, prefix),
      clusters: { read: async (cluster) => ({ cluster, state: STATE, updatedAt: NOW.toISOString() }) },
      outbox,
      queues: { enqueueApply: async () => {}, scheduleExpiry: async () => {} },
      groupMembers: async () => [],
      clock: () => NOW,
      newRequestId,
      log,
      requestYaml,
    });
    cards = approvalCardSync({ store, outbox, clock: () => NOW, requestYaml });
    thread = new ApprovalThread({ store, outbox, clock: () => NOW, log, requestYaml });
  });

  /** Preview as the requester; returns the preview and its draft id. */
  async function preview(): Promise<{ message: SlackMessage; draftId: string }> {
    const [message] = await service.handleCommand({
      user: REQUESTER,
      channel: 'CNETPOL',
      text: 'deny ingress in backend',
    });
    return { message: message!, draftId: buttonValue(message!, ACTION_IDS.submit) };
  }

  /** Submit, then what the outbound worker does once the card is in Slack. Returns the card job. */
  async function submit(draftId: string): Promise<SlackOutboundJob & { kind: 'post' }> {
    await service.submit(REQUESTER, draftId);
    const card = posted.find(
      (job): job is SlackOutboundJob & { kind: 'post' } =>
        job.kind === 'post' && job.recordApprovalFor === draftId,
    );
    if (card === undefined) throw new Error('no approval card posted');
    const delivered = { channel: 'CAPPROVALS', ts: '1893456000.000100' };
    await cards.onPosted(card, delivered);
    await thread.afterPosted(card, delivered);
    return card;
  }

  const approve = async (card: SlackOutboundJob & { kind: 'post' }) =>
    service.decide({
      user: APPROVER,
      ...parseDecisionButtonValue(buttonValue(card, ACTION_IDS.approve)),
      approve: true,
    });

  /** The worker's steps, as the store records them (the worker renders in its own process). */
  async function applied(id: string): Promise<RequestRecord> {
    const change = { actor: 'worker:prod', now: NOW.toISOString() };
    await store.transition(id, { ...change, from: ['approved'], to: 'applying', action: 'apply-started' });
    const done = await store.transition(id, {
      ...change,
      from: ['applying'],
      to: 'applied',
      action: 'applied',
      fields: { appliedAt: NOW.toISOString() },
    });
    if (!done.ok) throw new Error('not applied');
    return done.record;
  }

  it('renders once across preview, submit, approval, and the applied card', async () => {
    const { message, draftId } = await preview();
    expect(renders).toBe(1);

    const card = await submit(draftId);
    const stored = await store.get(draftId);
    expect(stored!.yaml).toBe(renderPolicies(stored!.policies, 'yaml'));
    expect(shown(message)).toContain('podSelector');
    expect(shown(card)).toContain('podSelector');

    expect(await approve(card)).toBeUndefined();
    await applied(draftId);
    const current = await cards.currentCard(draftId);
    expect(shown(current)).toMatch(/Applied/);

    expect(renders).toBe(1);
    // Every card shown carries the same YAML as the preview.
    const updates = posted.filter((job) => job.kind === 'update');
    expect(updates.length).toBeGreaterThan(0);
  });

  it('shows the policies’ rendering, not a draft whose yaml was altered in Redis, and stores the rendering', async () => {
    const { draftId } = await preview();
    const key = `${prefix}:draft:${draftId}`;
    const draft = JSON.parse((await client.get(key))!) as RequestRecord;
    await client.set(key, JSON.stringify({ ...draft, yaml: `${draft.yaml}${MARKER}: true\n` }), 'PX', 60_000);

    const card = await submit(draftId);
    expect(shown(card)).not.toContain(MARKER);
    const stored = await store.get(draftId);
    expect(stored!.yaml).toBe(renderPolicies(stored!.policies, 'yaml'));
  });

  it('shows the policies’ rendering, not a request whose yaml was altered in Redis after the card was posted', async () => {
    const { draftId } = await preview();
    const card = await submit(draftId);
    const record = (await store.get(draftId))!;
    const altered = `${record.yaml}${MARKER}: true\n`;
    // The control: a card rendered from the altered text would show it.
    expect(shown(renderApprovalMessage(record, { yaml: altered, now: NOW.toISOString() }))).toContain(MARKER);
    await client.hset(`${prefix}:req:${draftId}`, 'yaml', altered);

    const before = posted.length;
    expect(await approve(card)).toBeUndefined();
    const edits = posted.slice(before);
    expect(edits.length).toBeGreaterThan(0);
    for (const edit of edits) expect(shown(edit)).not.toContain(MARKER);
    await applied(draftId);
    expect(shown(await cards.currentCard(draftId))).not.toContain(MARKER);
    expect(shown(await cards.currentCard(draftId))).toMatch(/Applied/);
  });

  it('shows a record stored without yaml (before it was kept) from its policies', async () => {
    const { draftId } = await preview();
    const card = await submit(draftId);
    await client.hdel(`${prefix}:req:${draftId}`, 'yaml');
    expect(await approve(card)).toBeUndefined();
    expect(renders).toBe(2); // This process never rendered a text it could recognise on this record.
    await applied(draftId);
    const current = await cards.currentCard(draftId);
    expect(shown(current)).toMatch(/Applied/);
    expect(shown(current)).toContain('podSelector');
  });
});
