/**
 * The Bolt app as Slack drives it: signed slash commands and button clicks over HTTP into buildBot,
 * replies read back from the Web API stand-in's response_url. Dependencies are injected (a real
 * Redis for the stores; a failing group lookup, outbox or cluster reader where a test needs one),
 * so the error boundaries and the listening address are tested on the real receiver.
 */
import { Writable } from 'node:stream';
import Redis from 'ioredis';
import pino from 'pino';
import { DraftStore } from '../adapters/redis/draft-store';
import { RequestStore } from '../adapters/redis/request-store';
import { ACTION_IDS } from '../adapters/slack/render/action-ids';
import { newRequestId } from '../contracts/request-id';
import { DEFAULT_KEYWORD_OPTIONS } from '../core/policy/keywords';
import { parseState } from '../core/state/load-state';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import { httpTransport, type SlackAppTransport } from '../devtools/slack/slack-app-transport';
import { TEST_BOT, TEST_SIGNING_SECRET } from '../devtools/slack/slack-test-identity';
import { SlackWebApiStandIn, type ResponseUrlPost } from '../devtools/slack/slack-web-api-stand-in';
import type { BotConfig } from '../platform/config/config';
import { loadBotConfig } from '../platform/config/load-config';
import type { BotDeps } from './bot-deps';
import { buildBot, type BuiltBot } from './build-bot';

const CHANNEL = 'C0NETPOLOPS';
const ALICE = 'U0ALICE001';
const CAROL = 'U0CAROL003';
const SRE_GROUP = 'S0SRETEAM1';

const STATE = parseState(`
kind: List
items:
  - { kind: Namespace, metadata: { name: frontend } }
  - { kind: Namespace, metadata: { name: backend } }
  - kind: Pod
    metadata: { name: web-0, namespace: frontend, labels: { app: web } }
    status: { podIP: 10.1.0.5 }
`);

function configFor(slackApiUrl: string): BotConfig {
  return {
    slack: {
      mode: 'http',
      botToken: TEST_BOT.token,
      signingSecret: TEST_SIGNING_SECRET,
      apiUrl: slackApiUrl,
      port: 0,
      host: '127.0.0.1',
    },
    redisUrl: 'redis://unused',
    prefix: 'unused',
    clusters: ['prod'],
    defaultCluster: 'prod',
    approvalChannel: 'C0APPROVALS',
    // Carol approves through the SRE group only: deciding needs the group's members.
    approvers: { default: { users: [], groups: [SRE_GROUP] }, namespaces: {} },
    requesters: { channels: [], users: [] },
    readers: { channels: [], users: [], groups: [] },
    requestTtlMs: 60 * 60 * 1000,
    labelKeys: ['app'],
    keywords: DEFAULT_KEYWORD_OPTIONS,
    logLevel: 'silent',
  };
}

/** The error-level log lines, parsed. */
function capturingLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

describe('buildBot over HTTP', () => {
  let redis: TestRedis;
  let client: Redis;
  let slack: SlackWebApiStandIn;
  let bot: BuiltBot | undefined;
  let seq = 0;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });
  beforeEach(async () => {
    slack = await SlackWebApiStandIn.start({ usergroups: { [SRE_GROUP]: [CAROL] } });
  });
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
    await slack.close();
  });

  /** Starts the bot with these dependencies replaced; returns how to drive it and its log. */
  async function startBot(overrides: Partial<BotDeps> = {}, config = configFor(slack.apiUrl)) {
    const prefix = `t-${Math.random().toString(36).slice(2)}`;
    const { log, lines } = capturingLog();
    const deps: BotDeps = {
      config,
      store: new RequestStore(client, { prefix }),
      drafts: new DraftStore(client, prefix),
      clusters: { read: async (cluster) => ({ cluster, state: STATE, updatedAt: '2030-01-01T00:00:00Z' }) },
      outbox: { send: async () => {} },
      queues: { enqueueApply: async () => {}, scheduleExpiry: async () => {} },
      groupMembers: async () => [],
      clock: () => new Date(),
      newRequestId,
      log,
      ...overrides,
    };
    bot = buildBot(deps);
    const started = await bot.start();
    const transport: SlackAppTransport = httpTransport(
      `http://127.0.0.1:${started.port}/slack/events`,
      TEST_SIGNING_SECRET,
    );
    const slash = async (text: string, user = ALICE): Promise<ResponseUrlPost> => {
      const id = `cmd-${++seq}`;
      const ack = await transport.slash({
        text,
        user_id: user,
        channel_id: CHANNEL,
        response_url: slack.responseUrl(id, { channel: CHANNEL, user }),
      });
      expect(ack.status).toBe(200);
      return slack.waitForResponseUrlPost((post) => post.id === id, 5000);
    };
    const click = async (actionId: string, value: string, user: string): Promise<ResponseUrlPost> => {
      const id = `click-${++seq}`;
      const ack = await transport.blockActions({
        user: { id: user },
        channel: { id: CHANNEL },
        message: { ts: '0.0' },
        actions: [{ action_id: actionId, block_id: 'actions', value }],
        response_url: slack.responseUrl(id, { channel: CHANNEL, user }),
        ephemeral: true,
      });
      expect(ack.status).toBe(200);
      return slack.waitForResponseUrlPost((post) => post.id === id, 5000);
    };
    return { slash, click, lines, started };
  }

  const shown = (post: ResponseUrlPost): string => `${post.text ?? ''}\n${JSON.stringify(post.blocks ?? [])}`;

  /** The value of the preview's Submit button (the draft id, which becomes the request id). */
  function submitValue(preview: ResponseUrlPost): string {
    const blocks = (preview.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[];
    const submit = blocks
      .flatMap((block) => block.elements ?? [])
      .find((element) => element.action_id === ACTION_IDS.submit);
    if (submit?.value === undefined) throw new Error(`no Submit button in ${shown(preview)}`);
    return submit.value;
  }

  /** Preview and Submit as Alice; the request id. */
  async function submitted(driver: Awaited<ReturnType<typeof startBot>>): Promise<string> {
    const preview = await driver.slash('deny ingress in backend');
    const draftId = submitValue(preview);
    expect(shown(await driver.click(ACTION_IDS.submit, draftId, ALICE))).toContain(draftId);
    return draftId;
  }

  it('tells the approver when the user-group lookup fails, naming the group, and logs the request id', async () => {
    const driver = await startBot({
      groupMembers: async () => {
        throw new Error('usergroups.users.list: ratelimited');
      },
    });
    const requestId = await submitted(driver);
    const reply = shown(await driver.click(ACTION_IDS.approve, requestId, CAROL));
    expect(reply).toContain('Approve');
    expect(reply).toContain(`Slack user group ${SRE_GROUP} failed`);
    expect(reply).toContain('Try again in a minute');
    expect(reply).toContain(requestId);
    expect(driver.lines).toContainEqual(expect.objectContaining({ msg: 'click failed', requestId }));
    expect(JSON.stringify(driver.lines)).toContain('ratelimited');
  });

  it('tells the clicker when a click handler throws (a bug), with the request id', async () => {
    let broken = false;
    const driver = await startBot({
      clock: () => {
        if (broken) throw new TypeError("Cannot read properties of undefined (reading 'getTime')");
        return new Date();
      },
    });
    const preview = await driver.slash('deny ingress in backend');
    const draftId = submitValue(preview);
    broken = true;
    const reply = shown(await driver.click(ACTION_IDS.submit, draftId, ALICE));
    expect(reply).toContain('Submit for approval');
    expect(reply).toContain('internal error');
    expect(reply).toContain('Tell the netpol operators');
    expect(reply).toContain(draftId);
    expect(reply).not.toContain('getTime');
    expect(driver.lines).toContainEqual(expect.objectContaining({ msg: 'click failed', requestId: draftId }));
  });

  it('tells the person when Redis fails during a command, naming Redis', async () => {
    const driver = await startBot({
      clusters: {
        read: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
        },
      },
    });
    const reply = shown(await driver.slash('show backend'));
    expect(reply).toContain('/netpol show backend');
    expect(reply).toContain('Redis');
    expect(reply).toContain('REDIS_URL');
    expect(driver.lines).toContainEqual(expect.objectContaining({ msg: 'command failed', user: ALICE }));
  });

  it('tells the person when Redis does not answer (a client queueing while it reconnects), within the deadline', async () => {
    // What ioredis does while Redis is down: it queues the command and never settles it.
    const driver = await startBot({
      clusters: { read: () => new Promise(() => undefined) },
      redisDeadlineMs: 300,
    });
    const reply = shown(await driver.slash('show backend'));
    expect(reply).toContain('did not answer within 0.3 s');
    expect(reply).toContain('may still complete');
    expect(reply).toContain('REDIS_URL');
  });

  it('listens on the configured HOST', async () => {
    const config = loadBotConfig({
      SLACK_BOT_TOKEN: TEST_BOT.token,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      NETPOL_APPROVAL_CHANNEL: 'C0APPROVALS',
      NETPOL_APPROVERS: CAROL,
      PORT: '0',
      HOST: '127.0.0.1',
    });
    const { started } = await startBot({}, config);
    expect(started.address).toBe('127.0.0.1');
  });
});
