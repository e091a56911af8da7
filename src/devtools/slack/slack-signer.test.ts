/**
 * The request builders produce Slack's bytes and Slack's signature. Bolt's own verification of them is
 * in bolt-http-receiver.test.ts; here the scheme is checked against Slack's published worked example
 * and an independent HMAC, and the bodies against the shapes Slack documents.
 */
import { createHmac } from 'node:crypto';
import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  blockActionsBody,
  blockActionsPayload,
  postToBolt,
  SLACK_FORM_CONTENT_TYPE,
  signSlackRequest,
  slackTs,
  slashCommandBody,
} from './slack-signer';
import { TEST_BOT, TEST_SIGNING_SECRET, TEST_TEAM } from './slack-test-identity';

describe('signSlackRequest', () => {
  it("reproduces the worked example in Slack's 'Verifying requests from Slack'", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
      '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
      '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
      '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', body, 1531420618)).toEqual({
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    });
  });
});

describe('slashCommandBody', () => {
  it("sends Slack's fields, in Slack's order, with the text intact", () => {
    const body = slashCommandBody({
      text: 'allow web -> db:5432 in shop & tell @bob/alice',
      response_url: 'http://127.0.0.1:1/response-url/c1',
      trigger_id: '1.2.abc',
    });
    const form = new URLSearchParams(body);
    expect([...form.keys()]).toEqual([
      'token',
      'team_id',
      'team_domain',
      'channel_id',
      'channel_name',
      'user_id',
      'user_name',
      'command',
      'text',
      'api_app_id',
      'is_enterprise_install',
      'response_url',
      'trigger_id',
    ]);
    expect(Object.fromEntries(form)).toMatchObject({
      command: '/netpol',
      text: 'allow web -> db:5432 in shop & tell @bob/alice',
      team_id: TEST_TEAM.id,
      api_app_id: TEST_BOT.appId,
      is_enterprise_install: 'false',
      response_url: 'http://127.0.0.1:1/response-url/c1',
    });
    expect(body).toContain('command=%2Fnetpol');
  });
});

describe('blockActionsBody', () => {
  const options = {
    user: { id: 'U0ALICE001', username: 'alice' },
    channel: { id: 'C0NETPOLOPS', name: 'netpol-ops' },
    message: { ts: '1700000000.000100', type: 'message', text: 'approve?', bot_id: TEST_BOT.botId },
    actions: [{ action_id: 'approve', block_id: 'decision', value: 'req-42', style: 'primary' as const }],
    response_url: 'http://127.0.0.1:1/response-url/a1',
    trigger_id: '4523441948.4877993734.8202397b1fc4765099c10ed2d7b37203',
    nowMs: 1_700_000_005_250,
  };

  it('puts a block_actions payload, slashes escaped like Slack, in the one form field', () => {
    const form = new URLSearchParams(blockActionsBody(options));
    expect([...form.keys()]).toEqual(['payload']);
    const json = form.get('payload') ?? '';
    expect(json).toContain('"response_url":"http:\\/\\/127.0.0.1:1\\/response-url\\/a1"');
    expect(JSON.parse(json)).toEqual(blockActionsPayload(options));
  });

  it('has the documented block_actions shape', () => {
    expect(blockActionsPayload(options)).toEqual({
      type: 'block_actions',
      user: { id: 'U0ALICE001', username: 'alice', name: 'alice', team_id: TEST_TEAM.id },
      api_app_id: TEST_BOT.appId,
      token: expect.any(String),
      container: {
        type: 'message',
        message_ts: '1700000000.000100',
        channel_id: 'C0NETPOLOPS',
        is_ephemeral: false,
      },
      trigger_id: '4523441948.4877993734.8202397b1fc4765099c10ed2d7b37203',
      team: { id: TEST_TEAM.id, domain: TEST_TEAM.domain },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: 'C0NETPOLOPS', name: 'netpol-ops' },
      message: options.message,
      state: { values: {} },
      response_url: 'http://127.0.0.1:1/response-url/a1',
      actions: [
        {
          action_id: 'approve',
          block_id: 'decision',
          text: { type: 'plain_text', text: 'approve', emoji: true },
          value: 'req-42',
          style: 'primary',
          type: 'button',
          action_ts: '1700000005.250000',
        },
      ],
    });
  });

  it("makes trigger_ids shaped like Slack's when none is given", () => {
    expect(blockActionsPayload({ ...options, trigger_id: undefined }).trigger_id).toMatch(
      /^\d+\.\d+\.[0-9a-f]{32}$/,
    );
  });

  it('leaves the message out for an ephemeral source and keeps thread_ts in the container', () => {
    const ephemeral = blockActionsPayload({ ...options, ephemeral: true });
    expect(ephemeral.message).toBeUndefined();
    expect(ephemeral.container).toMatchObject({ is_ephemeral: true });
    const threaded = blockActionsPayload({ ...options, message: { ts: '2.000200', thread_ts: '1.000100' } });
    expect(threaded.container).toMatchObject({ message_ts: '2.000200', thread_ts: '1.000100' });
  });
});

describe('slackTs', () => {
  it('formats seconds and six-digit microseconds', () => {
    expect(slackTs(1_700_000_000_000)).toBe('1700000000.000000');
    expect(slackTs(1_700_000_000_001)).toBe('1700000000.001000');
  });
});

describe('postToBolt', () => {
  it('sends the exact content type and a signature that an independent HMAC accepts', async () => {
    let seen: { headers: IncomingHttpHeaders; body: string } | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        res.writeHead(200, { 'content-type': 'text/plain' }).end('acked');
      });
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const body = slashCommandBody({ text: 'help', response_url: 'http://127.0.0.1:1/r' });
      const res = await postToBolt(`http://127.0.0.1:${port}/slack/events`, body, {
        signingSecret: TEST_SIGNING_SECRET,
        timestamp: 1_700_000_000,
      });
      expect(res).toMatchObject({ status: 200, body: 'acked' });
      expect(res.elapsedMs).toBeGreaterThan(0);
      expect(seen?.body).toBe(body);
      expect(seen?.headers['content-type']).toBe(SLACK_FORM_CONTENT_TYPE);
      expect(seen?.headers['x-slack-request-timestamp']).toBe('1700000000');
      const expected = createHmac('sha256', TEST_SIGNING_SECRET)
        .update(`v0:1700000000:${body}`)
        .digest('hex');
      expect(seen?.headers['x-slack-signature']).toBe(`v0=${expected}`);

      await postToBolt(`http://127.0.0.1:${port}/slack/events`, body, {
        signingSecret: TEST_SIGNING_SECRET,
        timestamp: 1_700_000_000,
        forgeSignature: true,
      });
      expect(seen?.headers['x-slack-signature']).toMatch(/^v0=[0-9a-f]{64}$/);
      expect(seen?.headers['x-slack-signature']).not.toBe(`v0=${expected}`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
