/**
 * Drives a real Bolt 5 App over HTTP with requests signed and shaped like Slack's, its app.client
 * pointed at the Web API stand-in: the path every bot test takes. Pins the receiver behaviour the bot
 * relies on (401 for forged or stale signatures, 200 on ack) and the surprises (future timestamps
 * pass, a charset in the content type is a 400, an unacked request is a 404 after the timeout).
 *
 * Bolt is loaded in beforeAll rather than imported so that, on a Node it cannot load on, every test
 * fails with the reason instead of the suite dying with an undici TypeError.
 */
import type * as Bolt from '@slack/bolt';
import type { BlockButtonAction } from '@slack/bolt';
import { AddressInfo } from 'node:net';
import { CapturingLogger, createCapturingLogger } from './capturing-logger';
import { blockActionsBody, postToBolt, signSlackRequest, slashCommandBody } from './slack-signer';
import { SlackWebApiStandIn } from './slack-web-api-stand-in';
import { TEST_BOT, TEST_SIGNING_SECRET } from './slack-test-identity';

const CHANNEL = 'C0NETPOLOPS';
const ALICE = 'U0ALICE001';

let bolt: typeof Bolt | undefined;
let boltLoadError: unknown;

beforeAll(async () => {
  try {
    bolt = await import('@slack/bolt');
  } catch (err) {
    boltLoadError = err;
  }
});

function loadedBolt(): typeof Bolt {
  if (bolt !== undefined) return bolt;
  const reason = boltLoadError instanceof Error ? boltLoadError.message : String(boltLoadError);
  throw new Error(
    `@slack/bolt failed to load on Node ${process.version} (${reason}). Known cause on Node < 22.19: ` +
      'its @slack/socket-mode requires undici, and the undici hoisted in node_modules (8.x, for ' +
      '@kubernetes/client-node) needs Node >= 22.19. Pin undici 7 or move to Node >= 22.19.',
    { cause: boltLoadError },
  );
}

interface RunningApp {
  app: Bolt.App;
  url: string;
  logger: CapturingLogger;
}

let standIn: SlackWebApiStandIn;
let running: RunningApp | undefined;

beforeEach(async () => {
  // Started before the App: with a token, Bolt calls auth.test from its constructor.
  standIn = await SlackWebApiStandIn.start({
    users: [{ id: ALICE, name: 'alice' }],
    channels: [{ id: CHANNEL, name: 'netpol-ops' }],
  });
});

afterEach(async () => {
  await running?.app.stop();
  running = undefined;
  await standIn.close();
});

/** An App the way the bot builds one, on a fresh loopback port. */
async function startApp(
  register: (app: Bolt.App) => void,
  receiverOptions: Partial<Bolt.HTTPReceiverOptions> = {},
): Promise<RunningApp> {
  const { App, HTTPReceiver } = loadedBolt();
  const logger = createCapturingLogger();
  const receiver = new HTTPReceiver({ signingSecret: TEST_SIGNING_SECRET, logger, ...receiverOptions });
  const app = new App({
    token: TEST_BOT.token,
    receiver,
    logger,
    clientOptions: { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 } },
  });
  register(app);
  // Port 0 = ephemeral; the host keeps it off other interfaces. start() resolves with the http.Server.
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  const { port } = server.address() as AddressInfo;
  running = { app, url: `http://127.0.0.1:${port}/slack/events`, logger };
  return running;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

it("accepts the signer's signature in Bolt's own verifier", () => {
  const body = slashCommandBody({ response_url: 'http://127.0.0.1:1/r' });
  const headers = signSlackRequest(TEST_SIGNING_SECRET, body, nowSeconds());
  expect(() =>
    loadedBolt().verifySlackRequest({
      signingSecret: TEST_SIGNING_SECRET,
      body,
      headers: {
        'x-slack-signature': headers['x-slack-signature'],
        'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
      },
    }),
  ).not.toThrow();
});

it('acks a signed slash command with 200 and replies through the Web API and response_url', async () => {
  const { url } = await startApp((app) => {
    app.command('/netpol', async ({ command, ack, client, respond }) => {
      await ack({ response_type: 'ephemeral', text: `On it, <@${command.user_id}>` });
      await client.chat.postMessage({ channel: command.channel_id, text: `request: ${command.text}` });
      await respond({ text: 'queued' });
    });
  });
  const body = slashCommandBody({
    text: 'allow web -> db:5432',
    user_id: ALICE,
    channel_id: CHANNEL,
    response_url: standIn.responseUrl('cmd-1', { channel: CHANNEL, user: ALICE }),
  });

  const res = await postToBolt(url, body, { signingSecret: TEST_SIGNING_SECRET });

  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/json');
  expect(JSON.parse(res.body)).toEqual({ response_type: 'ephemeral', text: `On it, <@${ALICE}>` });
  expect(res.elapsedMs).toBeLessThan(3000);
  await standIn.waitForMessage(CHANNEL, (m) => m.text === 'request: allow web -> db:5432');
  await standIn.waitForResponseUrlPost((p) => p.id === 'cmd-1' && p.text === 'queued');
  expect(standIn.ephemerals({ user: ALICE })).toMatchObject([{ text: 'queued', via: 'response_url' }]);
  expect(standIn.callsTo('auth.test').map((c) => c.token)).toEqual([TEST_BOT.token]);
});

it('routes a signed block_actions click to its listener, which edits the message', async () => {
  const { app, url } = await startApp((a) => {
    a.action<BlockButtonAction>({ action_id: 'approve' }, async ({ ack, body, action, client }) => {
      await ack();
      await client.chat.update({
        channel: body.channel?.id ?? '',
        ts: body.message?.ts ?? '',
        text: `approved ${action.value} by <@${body.user.id}>`,
        blocks: [],
      });
    });
  });
  const posted = await app.client.chat.postMessage({
    channel: CHANNEL,
    text: 'approve req-42?',
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: 'approve req-42?' } },
      {
        type: 'actions',
        block_id: 'decision',
        elements: [
          {
            type: 'button',
            action_id: 'approve',
            text: { type: 'plain_text', text: 'Approve' },
            value: 'req-42',
          },
        ],
      },
    ],
  });
  const ts = posted.ts ?? '';
  const message = standIn.apiMessage(CHANNEL, ts);
  if (message === undefined) throw new Error('posted message not stored');

  const res = await postToBolt(
    url,
    blockActionsBody({
      user: { id: ALICE, username: 'alice' },
      channel: { id: CHANNEL, name: 'netpol-ops' },
      message,
      actions: [{ action_id: 'approve', block_id: 'decision', value: 'req-42', text: 'Approve' }],
      response_url: standIn.responseUrl('act-1', { channel: CHANNEL, messageTs: ts, user: ALICE }),
    }),
    { signingSecret: TEST_SIGNING_SECRET },
  );

  expect([res.status, res.body]).toEqual([200, '']);
  const edited = await standIn.waitForMessage(CHANNEL, (m) => m.ts === ts && m.edited !== undefined);
  expect(edited.text).toBe(`approved req-42 by <@${ALICE}>`);
  expect(edited.blocks).toBeUndefined();
  expect(edited.revisions).toHaveLength(2);
});

describe('refusals', () => {
  let calls: number;
  const register = (app: Bolt.App): void => {
    app.command('/netpol', async ({ ack }) => {
      calls += 1;
      await ack();
    });
  };
  const body = (): string => slashCommandBody({ response_url: standIn.responseUrl('r') });

  beforeEach(() => {
    calls = 0;
  });

  it('answers 401 to a forged signature and never runs the listener', async () => {
    const { url, logger } = await startApp(register);
    const res = await postToBolt(url, body(), { signingSecret: TEST_SIGNING_SECRET, forgeSignature: true });
    expect([res.status, res.body, calls]).toEqual([401, '', 0]);
    expect(logger.find('signature mismatch')).toHaveLength(1);
  });

  it('answers 401 to a timestamp more than 5 minutes old', async () => {
    const { url, logger } = await startApp(register);
    const res = await postToBolt(url, body(), {
      signingSecret: TEST_SIGNING_SECRET,
      timestamp: nowSeconds() - 301,
    });
    expect([res.status, calls]).toEqual([401, 0]);
    expect(logger.find('stale')).toHaveLength(1);
  });

  it('accepts a timestamp from the future: Bolt only checks staleness', async () => {
    const { url } = await startApp(register);
    const res = await postToBolt(url, body(), {
      signingSecret: TEST_SIGNING_SECRET,
      timestamp: nowSeconds() + 3600,
    });
    expect([res.status, calls]).toEqual([200, 1]);
  });

  it('answers 400 when the form content type carries a charset (Bolt then parses the body as JSON)', async () => {
    const { url } = await startApp(register);
    const res = await postToBolt(url, body(), {
      signingSecret: TEST_SIGNING_SECRET,
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
    });
    expect([res.status, calls]).toEqual([400, 0]);
  });

  it('answers 404 when nothing acks within unhandledRequestTimeoutMillis', async () => {
    const { url, logger } = await startApp(() => undefined, { unhandledRequestTimeoutMillis: 200 });
    const res = await postToBolt(url, body(), { signingSecret: TEST_SIGNING_SECRET });
    expect(res.status).toBe(404);
    expect(res.elapsedMs).toBeGreaterThanOrEqual(190);
    expect(logger.find('not acknowledged within 3 seconds')).toHaveLength(1);
  });
});
