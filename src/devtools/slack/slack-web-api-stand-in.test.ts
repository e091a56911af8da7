/**
 * Proves the Web API stand-in against the real WebClient: what WebClient sends is what the stand-in
 * parses, and what the stand-in answers is what WebClient (and so Bolt's app.client) makes of a real
 * Slack answer, including 429 + Retry-After.
 *
 * Imports @slack/web-api directly: it is the very copy Bolt re-exports as `webApi`, and it loads on
 * Node 20 where @slack/bolt currently does not (see bolt-http-receiver.test.ts).
 */
import * as webApi from '@slack/web-api';
import { createCapturingLogger } from './capturing-logger';
import { SlackWebApiStandIn } from './slack-web-api-stand-in';
import { TEST_BOT } from './slack-test-identity';

const CHANNEL = 'C0NETPOLOPS';

let standIn: SlackWebApiStandIn;

beforeEach(async () => {
  standIn = await SlackWebApiStandIn.start({
    users: [{ id: 'U0ALICE001', name: 'alice', real_name: 'Alice Example', email: 'alice@example.com' }],
    channels: [{ id: CHANNEL, name: 'netpol-ops', members: ['U0ALICE001', TEST_BOT.userId] }],
    usergroups: { S0APPROVERS: ['U0ALICE001', 'U0BOB00002'] },
  });
});

afterEach(async () => {
  await standIn.close();
});

/** A WebClient as the bot would build one, quiet, with a retry policy chosen per test. */
function client(options: webApi.WebClientOptions = {}): webApi.WebClient {
  return new webApi.WebClient(TEST_BOT.token, {
    slackApiUrl: standIn.apiUrl,
    logger: createCapturingLogger(),
    retryConfig: { retries: 0 },
    ...options,
  });
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('messages through WebClient', () => {
  it('posts, updates and reads back a message, with per-channel increasing ts', async () => {
    const web = client();
    const first = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'pending',
      blocks: [section('*pending*')],
    });
    const second = await web.chat.postMessage({ channel: CHANNEL, text: 'another' });
    expect(first).toMatchObject({
      ok: true,
      channel: CHANNEL,
      message: { text: 'pending', bot_id: TEST_BOT.botId },
    });
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));

    // WebClient sent blocks as a JSON string inside a form; the stand-in decoded it.
    const post = standIn.callsTo('chat.postMessage')[0];
    expect(post?.contentType).toBe('application/x-www-form-urlencoded');
    expect(post?.token).toBe(TEST_BOT.token);
    expect(post?.args.blocks).toEqual([section('*pending*')]);

    const updated = await web.chat.update({
      channel: CHANNEL,
      ts: first.ts as string,
      text: 'approved by alice',
    });
    expect(updated).toMatchObject({ ok: true, channel: CHANNEL, ts: first.ts, text: 'approved by alice' });

    const stored = standIn.message(CHANNEL, first.ts as string);
    expect(stored?.text).toBe('approved by alice');
    // A text-only chat.update keeps the old blocks, as Slack does.
    expect(stored?.blocks).toEqual([section('*pending*')]);
    expect(stored?.revisions.map((r) => r.text)).toEqual(['pending', 'approved by alice']);
    expect(stored?.edited?.user).toBe(TEST_BOT.userId);

    await web.chat.update({ channel: CHANNEL, ts: first.ts as string, text: 'cleared', blocks: [] });
    expect(standIn.message(CHANNEL, first.ts as string)?.blocks).toBeUndefined();

    const history = await web.conversations.history({ channel: CHANNEL });
    expect(history.messages?.map((m) => m.text)).toEqual(['another', 'cleared']);
  });

  it('keeps thread replies under their parent and reads them back', async () => {
    const web = client();
    const parent = await web.chat.postMessage({ channel: CHANNEL, text: 'request #1' });
    const reply = await web.chat.postMessage({
      channel: CHANNEL,
      thread_ts: parent.ts as string,
      text: 'applied',
    });
    // Replying to a reply lands in the parent's thread.
    await web.chat.postMessage({ channel: CHANNEL, thread_ts: reply.ts as string, text: 'verified' });

    expect(standIn.threadReplies(CHANNEL, parent.ts as string).map((m) => m.text)).toEqual([
      'applied',
      'verified',
    ]);
    const replies = await web.conversations.replies({ channel: CHANNEL, ts: parent.ts as string });
    expect(replies.messages?.map((m) => m.text)).toEqual(['request #1', 'applied', 'verified']);
    expect(replies.messages?.[0]).toMatchObject({ reply_count: 2, thread_ts: parent.ts });

    const link = await web.chat.getPermalink({ channel: CHANNEL, message_ts: reply.ts as string });
    expect(link.permalink).toBe(
      `https://netpol-test.slack.com/archives/${CHANNEL}/p${(reply.ts as string).replace('.', '')}` +
        `?thread_ts=${parent.ts}&cid=${CHANNEL}`,
    );
  });

  it('answers ephemerals with message_ts and refuses to chat.update them', async () => {
    const web = client();
    const eph = await web.chat.postEphemeral({ channel: CHANNEL, user: 'U0ALICE001', text: 'only you' });
    expect(eph.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(standIn.ephemerals({ user: 'U0ALICE001' })).toMatchObject([
      { text: 'only you', channel: CHANNEL },
    ]);
    await expect(
      web.chat.update({ channel: CHANNEL, ts: eph.message_ts as string, text: 'edited' }),
    ).rejects.toMatchObject({ code: 'slack_webapi_platform_error', data: { error: 'message_not_found' } });
    await expect(
      web.chat.postEphemeral({ channel: CHANNEL, user: 'U0BOB00002', text: 'x' }),
    ).rejects.toMatchObject({ data: { error: 'user_not_found' } });
  });
});

describe('Slack limits and errors', () => {
  it.each([
    [
      '51 blocks',
      { text: 'x', blocks: Array.from({ length: 51 }, (_, i) => section(`b${i}`)) },
      'invalid_blocks',
    ],
    ['a 3,001-character section', { text: 'x', blocks: [section('a'.repeat(3001))] }, 'invalid_blocks'],
    ['no text and no blocks', { text: '' }, 'no_text'],
  ])('refuses %s', async (_name, message, error) => {
    await expect(client().chat.postMessage({ channel: CHANNEL, ...message })).rejects.toMatchObject({
      code: 'slack_webapi_platform_error',
      data: { ok: false, error },
    });
  });

  it('accepts exactly 50 blocks and a 3,000-character section', async () => {
    const blocks = [section('a'.repeat(3000)), ...Array.from({ length: 49 }, () => ({ type: 'divider' }))];
    await expect(client().chat.postMessage({ channel: CHANNEL, text: 'x', blocks })).resolves.toMatchObject({
      ok: true,
    });
  });

  it('says where a block is wrong, like Slack', async () => {
    const err = await client()
      .chat.postMessage({
        channel: CHANNEL,
        text: 'x',
        blocks: [{ type: 'divider' }, section('a'.repeat(3001))],
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      data: {
        error: 'invalid_blocks',
        errors: ['must be less than 3001 characters [json-pointer:/blocks/1/text/text]'],
      },
    });
  });

  it('answers channel_not_found for a missing or unknown channel', async () => {
    const web = client();
    await expect(web.chat.postMessage({ channel: '', text: 'x' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
    await expect(web.chat.postMessage({ channel: 'no-such-channel', text: 'x' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
  });

  it('checks the bearer token', async () => {
    await expect(
      new webApi.WebClient('xoxb-wrong', {
        slackApiUrl: standIn.apiUrl,
        logger: createCapturingLogger(),
      }).auth.test(),
    ).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    await expect(
      new webApi.WebClient(undefined, {
        slackApiUrl: standIn.apiUrl,
        logger: createCapturingLogger(),
      }).auth.test(),
    ).rejects.toMatchObject({ data: { error: 'not_authed' } });
    expect(standIn.callsTo('auth.test').map((c) => c.token)).toEqual(['xoxb-wrong', undefined]);
  });

  it('records and refuses unknown methods', async () => {
    await expect(client().apiCall('netpol.frobnicate', { x: 1 })).rejects.toMatchObject({
      data: { error: 'unknown_method' },
    });
    expect(standIn.callsTo('netpol.frobnicate')[0]?.args).toEqual({ x: '1' });
  });

  it('answers an injected error once, without WebClient retrying it', async () => {
    standIn.failNext({ method: 'chat.postMessage', error: 'is_archived' });
    const web = client({ retryConfig: webApi.retryPolicies.fiveRetriesInFiveMinutes });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({
      data: { error: 'is_archived' },
    });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'x' })).resolves.toMatchObject({ ok: true });
    expect(standIn.callsTo('chat.postMessage')).toHaveLength(2);
  });
});

describe('reads', () => {
  it('serves auth.test, users.info, usergroups.users.list and conversations.info', async () => {
    const web = client();
    await expect(web.auth.test()).resolves.toMatchObject({
      ok: true,
      user_id: TEST_BOT.userId,
      bot_id: TEST_BOT.botId,
      team_id: 'T0NETPOL01',
      response_metadata: { scopes: expect.arrayContaining(['chat:write']) },
    });
    await expect(web.users.info({ user: 'U0ALICE001' })).resolves.toMatchObject({
      user: {
        id: 'U0ALICE001',
        name: 'alice',
        real_name: 'Alice Example',
        profile: { email: 'alice@example.com' },
      },
    });
    await expect(web.users.info({ user: 'U0NOBODY01' })).rejects.toMatchObject({
      data: { error: 'user_not_found' },
    });
    await expect(web.usergroups.users.list({ usergroup: 'S0APPROVERS' })).resolves.toMatchObject({
      users: ['U0ALICE001', 'U0BOB00002'],
    });
    standIn.setUsergroupMembers('S0APPROVERS', ['U0BOB00002']);
    await expect(web.usergroups.users.list({ usergroup: 'S0APPROVERS' })).resolves.toMatchObject({
      users: ['U0BOB00002'],
    });
    await expect(web.usergroups.users.list({ usergroup: 'S0NONE' })).rejects.toMatchObject({
      data: { error: 'no_such_subteam' },
    });
    await expect(web.conversations.info({ channel: CHANNEL })).resolves.toMatchObject({
      channel: { id: CHANNEL, name: 'netpol-ops', is_private: false, is_member: true },
    });
  });
});

describe('wire formats other than WebClient', () => {
  it('accepts JSON bodies with a bearer token, and warns about a missing charset like Slack', async () => {
    const res = await fetch(`${standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_BOT.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: CHANNEL, text: 'json', blocks: [section('json')] }),
    });
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toMatchObject({
      ok: true,
      warning: 'missing_charset',
      message: { text: 'json' },
    });
    expect(standIn.callsTo('chat.postMessage')[0]?.args.blocks).toEqual([section('json')]);
  });

  it('accepts the token as a form field', async () => {
    const res = await fetch(`${standIn.apiUrl}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TEST_BOT.token }).toString(),
    });
    expect(await res.json()).toMatchObject({ ok: true, user_id: TEST_BOT.userId });
    expect(standIn.calls[0]?.args).toEqual({});
  });

  it('answers invalid_blocks_format for blocks that are not JSON', async () => {
    const res = await fetch(`${standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TEST_BOT.token, channel: CHANNEL, blocks: '[{' }).toString(),
    });
    expect(await res.json()).toEqual({ ok: false, error: 'invalid_blocks_format' });
  });
});

describe('rate limiting (HTTP 429 + Retry-After)', () => {
  it('is honoured by WebClient: the call succeeds after at least Retry-After', async () => {
    const logger = createCapturingLogger();
    // Default retry policy, as Bolt's app.client has it.
    const web = new webApi.WebClient(TEST_BOT.token, { slackApiUrl: standIn.apiUrl, logger });
    standIn.rateLimitNext({ method: 'chat.postMessage', times: 1, retryAfterSeconds: 1 });

    const started = performance.now();
    const result = await web.chat.postMessage({ channel: CHANNEL, text: 'after the pause' });
    const elapsed = performance.now() - started;

    expect(result.ok).toBe(true);
    const [limited, retried] = standIn.callsTo('chat.postMessage');
    expect(limited).toMatchObject({ status: 429, response: { ok: false, error: 'ratelimited' } });
    expect(retried).toMatchObject({ status: 200 });
    const gap = (retried?.monotonicMs ?? 0) - (limited?.monotonicMs ?? 0);
    expect(gap).toBeGreaterThanOrEqual(990);
    // WebClient sleeps Retry-After, then p-retry adds its own backoff (1-2 s by default) on top.
    expect(elapsed).toBeLessThan(4500);
    expect(logger.find('Will retry in 1 seconds')).toHaveLength(1);
    expect(standIn.messages(CHANNEL).map((m) => m.text)).toEqual(['after the pause']);
  }, 10_000);

  it('pauses the whole WebClient queue, not just the limited method', async () => {
    const web = client({ retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 } });
    standIn.rateLimitNext({ method: 'chat.postMessage', retryAfterSeconds: 1 });
    // WebClient emits rate_limited just before it pauses its queue; resuming here runs after the pause.
    const paused = new Promise<void>((resolve) =>
      web.once(webApi.WebClientEvent.RATE_LIMITED, () => resolve()),
    );
    const posting = web.chat.postMessage({ channel: CHANNEL, text: 'x' });
    await paused;
    const limited = standIn.callsTo('chat.postMessage')[0];
    expect(limited?.status).toBe(429);
    await web.auth.test();
    const authCall = standIn.callsTo('auth.test')[0];
    expect((authCall?.monotonicMs ?? NaN) - (limited?.monotonicMs ?? NaN)).toBeGreaterThanOrEqual(990);
    await expect(posting).resolves.toMatchObject({ ok: true });
  }, 10_000);

  it('throws at once with rejectRateLimitedCalls', async () => {
    const web = client({
      rejectRateLimitedCalls: true,
      retryConfig: webApi.retryPolicies.fiveRetriesInFiveMinutes,
    });
    standIn.rateLimitNext({ retryAfterSeconds: 30 });
    const started = performance.now();
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 30,
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(standIn.calls).toHaveLength(1);
  });

  it('retries HTTP 5xx under the retry policy (and would for ~30 min by default)', async () => {
    standIn.failNext({ method: 'auth.test', error: 'fatal_error', httpStatus: 503 });
    await expect(
      client({ retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 } }).auth.test(),
    ).resolves.toMatchObject({ ok: true });
    standIn.failNext({ method: 'auth.test', error: 'fatal_error', httpStatus: 503 });
    await expect(client().auth.test()).rejects.toMatchObject({
      code: 'slack_webapi_http_error',
      statusCode: 503,
    });
    expect(standIn.callsTo('auth.test').map((c) => c.status)).toEqual([503, 200, 503]);
  });
});

describe('response_url', () => {
  it('records posts, applies replace_original and in_channel, and stops after 5 uses', async () => {
    const web = client();
    const original = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'approve?',
      blocks: [section('approve?')],
    });
    const url = standIn.responseUrl('r1', {
      channel: CHANNEL,
      messageTs: original.ts as string,
      user: 'U0ALICE001',
    });
    const post = (body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    expect((await post({ replace_original: true, text: 'approved by alice' })).status).toBe(200);
    expect(standIn.message(CHANNEL, original.ts as string)).toMatchObject({ text: 'approved by alice' });
    expect(standIn.message(CHANNEL, original.ts as string)?.blocks).toBeUndefined();

    await post({ response_type: 'in_channel', text: 'applied', thread_ts: original.ts });
    expect(standIn.threadReplies(CHANNEL, original.ts as string).map((m) => m.text)).toEqual(['applied']);

    await post({ text: 'just for you' });
    expect(standIn.ephemerals({ user: 'U0ALICE001' })).toMatchObject([
      { text: 'just for you', via: 'response_url' },
    ]);

    const bad = await post({ text: '' });
    expect([bad.status, await bad.json()]).toEqual([400, { ok: false, error: 'no_text' }]);

    await post({ text: '4' });
    await post({ text: '5' });
    const sixth = await post({ text: '6' });
    expect([sixth.status, await sixth.json()]).toEqual([404, { ok: false, error: 'used_url' }]);
    expect(standIn.responseUrlPosts.map((p) => p.status)).toEqual([200, 200, 200, 400, 200, 200, 404]);
    expect(standIn.responseUrlPosts[0]).toMatchObject({
      id: 'r1',
      replace_original: true,
      text: 'approved by alice',
    });
  });

  it('expires after 30 minutes on the injected clock', async () => {
    let now = 1_700_000_000_000;
    const clocked = await SlackWebApiStandIn.start({ now: () => now });
    try {
      const url = clocked.responseUrl('late', { channel: CHANNEL, user: 'U0ALICE001' });
      now += 30 * 60 * 1000 + 1;
      const res = await fetch(url, { method: 'POST', body: JSON.stringify({ text: 'too late' }) });
      expect([res.status, await res.json()]).toEqual([404, { ok: false, error: 'expired_url' }]);
    } finally {
      await clocked.close();
    }
  });
});

describe('waiting', () => {
  it('resolves on a later call without polling, and times out with what it saw', async () => {
    const web = client();
    const waiting = standIn.waitForMessage(CHANNEL, (m) => m.text === 'second', 2000);
    await web.chat.postMessage({ channel: CHANNEL, text: 'first' });
    await web.chat.postMessage({ channel: CHANNEL, text: 'second' });
    await expect(waiting).resolves.toMatchObject({ text: 'second', channel: CHANNEL });

    await expect(standIn.waitForCall((c) => c.method === 'chat.delete', 50)).rejects.toThrow(
      /timed out after 50 ms .*chat\.postMessage→ok, chat\.postMessage→ok/,
    );
  });

  it('gives a frozen clock strictly increasing ts per channel', async () => {
    const frozen = await SlackWebApiStandIn.start({ now: () => 1_700_000_000_000 });
    try {
      const web = new webApi.WebClient(TEST_BOT.token, {
        slackApiUrl: frozen.apiUrl,
        logger: createCapturingLogger(),
      });
      const a = await web.chat.postMessage({ channel: CHANNEL, text: 'a' });
      const b = await web.chat.postMessage({ channel: CHANNEL, text: 'b' });
      const other = await web.chat.postMessage({ channel: 'C0OTHER001', text: 'c' });
      expect([a.ts, b.ts, other.ts]).toEqual(['1700000000.000100', '1700000000.000200', '1700000000.000100']);
    } finally {
      await frozen.close();
    }
  });
});
