/**
 * What the bot refuses before any approval: changes never checked against their cluster (no worker
 * has reported it) cannot be submitted, and read commands answer readers only. BotService over a
 * real Redis; the cluster snapshot and the group lookup are injected.
 */
import Redis from 'ioredis';
import pino from 'pino';
import { DraftStore } from '../adapters/redis/draft-store';
import { RequestStore } from '../adapters/redis/request-store';
import type { SlackMessage } from '../adapters/slack/render';
import { ACTION_IDS } from '../adapters/slack/render/action-ids';
import type { SlackOutboundJob } from '../contracts/queues';
import { DEFAULT_KEYWORD_OPTIONS } from '../core/policy/keywords';
import type { ClusterState } from '../core/state/cluster-state';
import { parseState } from '../core/state/load-state';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import type { BotConfig } from '../platform/config/config';
import { BotService } from './bot-service';

const STATE = parseState(`
kind: List
items:
  - { kind: Namespace, metadata: { name: frontend } }
  - { kind: Namespace, metadata: { name: backend } }
  - kind: Pod
    metadata: { name: nginx-0, namespace: frontend, labels: { app: nginx } }
    status: { podIP: 10.1.0.5 }
  - kind: Pod
    metadata: { name: api-0, namespace: backend, labels: { app: api } }
    status: { podIP: 10.1.0.6 }
`);

const REQUESTER = 'U0ALICE001';
const READER = 'U0READER01';
const GROUP_READER = 'U0GROUPRD1';
const OUTSIDER = 'U0OUTSIDE1';
const OPS_CHANNEL = 'C0NETPOLOPS';
const READERS_GROUP = 'S0READERS1';
const FIXED_ID = 'r-aaaaaaaaaaaaaaaa';

const BASE: BotConfig = {
  slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: 'secret', port: 0, host: '127.0.0.1' },
  redisUrl: 'redis://unused',
  prefix: 'unused',
  clusters: ['prod'],
  defaultCluster: 'prod',
  approvalChannel: 'C0APPROVALS',
  approvers: { default: { users: ['U0APPROVER'], groups: [] }, namespaces: {} },
  requesters: { channels: [], users: [] },
  readers: { channels: [], users: [], groups: [] },
  requestTtlMs: 60 * 60 * 1000,
  labelKeys: ['app'],
  keywords: DEFAULT_KEYWORD_OPTIONS,
  logLevel: 'silent',
};

function shown(message: SlackMessage | undefined): string {
  return message === undefined ? '' : `${message.text}\n${JSON.stringify(message.blocks)}`;
}

describe('BotService guards', () => {
  let redis: TestRedis;
  let client: Redis;
  let posted: SlackOutboundJob[];

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  function service(options: { config?: BotConfig; snapshot?: ClusterState }): {
    bot: BotService;
    store: RequestStore;
  } {
    const prefix = `t-${Math.random().toString(36).slice(2)}`;
    posted = [];
    const store = new RequestStore(client, { prefix });
    const bot = new BotService({
      config: options.config ?? BASE,
      store,
      drafts: new DraftStore(client, prefix),
      clusters: {
        read: async (cluster) =>
          options.snapshot === undefined
            ? undefined
            : { cluster, state: options.snapshot, updatedAt: '2030-01-01T00:00:00Z' },
      },
      outbox: {
        send: async (job) => {
          posted.push(job);
        },
      },
      queues: { enqueueApply: async () => {}, scheduleExpiry: async () => {} },
      groupMembers: async (group) => (group === READERS_GROUP ? [GROUP_READER] : []),
      clock: () => new Date('2030-01-01T00:00:00Z'),
      newRequestId: () => FIXED_ID,
      log: pino({ level: 'silent' }),
    });
    return { bot, store };
  }

  describe('before any worker has reported the cluster', () => {
    it('previews a change without a Submit button, naming the cluster and that it was never seen', async () => {
      const { bot } = service({});
      const [preview] = await bot.handleCommand({
        user: REQUESTER,
        channel: OPS_CHANNEL,
        text: 'allow frontend nginx to backnd',
      });
      const text = shown(preview);
      expect(text).not.toContain(ACTION_IDS.submit);
      expect(text).not.toContain('"type":"button"');
      expect(text).toContain('never checked against cluster *prod*');
      expect(text).toContain('never seen');
      expect(text).toContain('kind: NetworkPolicy');
    });

    it('refuses a Submit click for a change previewed without a snapshot', async () => {
      const { bot, store } = service({});
      await bot.handleCommand({ user: REQUESTER, channel: OPS_CHANNEL, text: 'deny ingress in backend' });
      const reply = shown(await bot.submit(REQUESTER, FIXED_ID));
      expect(reply).toContain('run the command again');
      expect(posted).toEqual([]);
      expect(await store.get(FIXED_ID)).toBeUndefined();
    });

    it('still previews with a Submit button once the cluster is known', async () => {
      const { bot } = service({ snapshot: STATE });
      const [preview] = await bot.handleCommand({
        user: REQUESTER,
        channel: OPS_CHANNEL,
        text: 'allow frontend nginx to backend',
      });
      expect(shown(preview)).toContain(ACTION_IDS.submit);
    });
  });

  describe('readers', () => {
    const config: BotConfig = {
      ...BASE,
      readers: { channels: [OPS_CHANNEL], users: [READER], groups: [READERS_GROUP] },
    };

    it('refuses show, explain, history, pending and questions to a non-reader', async () => {
      const { bot } = service({ config, snapshot: STATE });
      for (const text of [
        'show backend',
        'explain frontend nginx to backend api on 80',
        'history backend',
        'pending',
        'can frontend nginx reach backend api on 80',
        'who can reach backend api on 80',
      ]) {
        const [reply] = await bot.handleCommand({ user: OUTSIDER, channel: OPS_CHANNEL, text });
        expect(`${text}: ${shown(reply)}`).toContain('E_FORBIDDEN');
        expect(shown(reply)).toContain('readers');
      }
    });

    it('answers show to a reader, and to a member of a readers group', async () => {
      const { bot } = service({ config, snapshot: STATE });
      for (const user of [READER, GROUP_READER]) {
        const replies = await bot.handleCommand({ user, channel: OPS_CHANNEL, text: 'show backend' });
        expect(shown(replies[0])).not.toContain('E_FORBIDDEN');
        expect(shown(replies[0])).toContain('backend');
      }
    });

    it('refuses a reader outside the readers channels', async () => {
      const { bot } = service({ config, snapshot: STATE });
      const [reply] = await bot.handleCommand({ user: READER, channel: 'C0ELSEWHER', text: 'show backend' });
      expect(shown(reply)).toContain('E_FORBIDDEN');
    });

    it('answers everyone everywhere by default', async () => {
      const { bot } = service({ snapshot: STATE });
      const [reply] = await bot.handleCommand({
        user: OUTSIDER,
        channel: 'C0ELSEWHER',
        text: 'show backend',
      });
      expect(shown(reply)).not.toContain('E_FORBIDDEN');
    });
  });
});
