import { connect, type Socket } from 'node:net';
import { WebSocket } from 'undici';
import { TEST_BOT } from './slack-test-identity';
import { SlackWebApiStandIn } from './slack-web-api-stand-in';
import { SocketModeStandIn, TEST_APP_TOKEN } from './socket-mode-stand-in';

let web: SlackWebApiStandIn;
let socketMode: SocketModeStandIn;
const clients: WebSocket[] = [];

beforeEach(async () => {
  web = await SlackWebApiStandIn.start();
  socketMode = await SocketModeStandIn.start();
  web.attachSocketMode(socketMode);
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await socketMode.close();
  await web.close();
});

async function callApi(method: string, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${web.apiUrl}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
    body: '{}',
  });
  return (await response.json()) as Record<string, unknown>;
}

/** An undici WebSocket (the client @slack/socket-mode uses) that queues the messages it receives. */
function openClient(url: string) {
  const client = new WebSocket(url);
  clients.push(client);
  const messages: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  client.addEventListener('message', (event) => {
    messages.push(JSON.parse(String(event.data)) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const next = async (): Promise<Record<string, unknown>> => {
    while (messages.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    return messages.shift() as Record<string, unknown>;
  };
  const closed = new Promise<{ code: number }>((resolve) =>
    client.addEventListener('close', (event) => resolve({ code: event.code })),
  );
  return { client, next, closed };
}

describe('apps.connections.open on the Web API stand-in', () => {
  it('answers the app-level token with a single-use loopback WebSocket URL', async () => {
    const first = await callApi('apps.connections.open', TEST_APP_TOKEN);
    const second = await callApi('apps.connections.open', TEST_APP_TOKEN);
    expect(first.ok).toBe(true);
    expect(first.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f]{32}&app_id=A0NETPOLAPP$/);
    expect(second.url).not.toBe(first.url);
    expect(socketMode.connectionsIssued).toBe(2);
    expect(web.callsTo('apps.connections.open').map((c) => c.token)).toEqual([
      TEST_APP_TOKEN,
      TEST_APP_TOKEN,
    ]);
  });

  it('refuses the wrong token type in both directions, and unknown tokens', async () => {
    expect(await callApi('apps.connections.open', TEST_BOT.token)).toEqual({
      ok: false,
      error: 'not_allowed_token_type',
    });
    expect(await callApi('chat.postMessage', TEST_APP_TOKEN)).toEqual({
      ok: false,
      error: 'not_allowed_token_type',
    });
    expect(await callApi('apps.connections.open', 'xapp-1-A0OTHER-1-nope')).toEqual({
      ok: false,
      error: 'invalid_auth',
    });
  });

  it('is invalid_auth when no Socket Mode server is attached', async () => {
    const bare = await SlackWebApiStandIn.start();
    try {
      const response = await fetch(`${bare.apiUrl}apps.connections.open`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_APP_TOKEN}` },
      });
      expect(((await response.json()) as { error: string }).error).toBe('invalid_auth');
    } finally {
      await bare.close();
    }
  });
});

describe('the Socket Mode stand-in', () => {
  it('says hello on connect, with the app id', async () => {
    const { next } = openClient(socketMode.openConnection());
    expect(await next()).toEqual({
      type: 'hello',
      num_connections: 1,
      debug_info: expect.objectContaining({ host: expect.any(String) }),
      connection_info: { app_id: TEST_BOT.appId },
    });
    expect(socketMode.connectionsAccepted).toBe(1);
  });

  it('accepts each ticket once', async () => {
    const url = socketMode.openConnection();
    const first = openClient(url);
    await first.next();
    const again = openClient(url);
    expect((await again.closed).code).toBe(1006);
    expect(socketMode.connectionsAccepted).toBe(1);
  });

  it('delivers a slash command envelope and returns the ack payload', async () => {
    const { client, next } = openClient(socketMode.openConnection());
    await next();
    const acked = socketMode.slashCommand({ command: '/netpol', text: 'help' });
    const envelope = await next();
    expect(envelope).toEqual({
      envelope_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'slash_commands',
      payload: { command: '/netpol', text: 'help' },
      accepts_response_payload: true,
    });
    client.send(JSON.stringify({ envelope_id: envelope.envelope_id, payload: { text: 'ok' } }));
    const ack = await acked;
    expect(ack).toEqual({
      envelopeId: envelope.envelope_id,
      payload: { text: 'ok' },
      elapsedMs: expect.any(Number),
    });
  });

  it('delivers interactive envelopes that accept no response payload, and waits for their ack', async () => {
    const { client, next } = openClient(socketMode.openConnection());
    await next();
    const acked = socketMode.interactive({ type: 'block_actions', actions: [] });
    const envelope = await next();
    expect(envelope).toMatchObject({ type: 'interactive', accepts_response_payload: false });
    // Acks for envelopes never sent are recorded but answer nothing.
    client.send(JSON.stringify({ envelope_id: 'not-sent', payload: {} }));
    client.send(JSON.stringify({ envelope_id: envelope.envelope_id }));
    expect((await acked).payload).toEqual({});
    expect(socketMode.received).toHaveLength(2);
  });

  it('rejects a delivery nobody acks within the deadline', async () => {
    const { next } = openClient(socketMode.openConnection());
    await next();
    await expect(socketMode.deliver('slash_commands', { text: 'x' }, { ackDeadlineMs: 50 })).rejects.toThrow(
      /timed out after 50 ms waiting for the ack of slash_commands/,
    );
  });

  it('asks for a reconnect with a disconnect envelope, and answers the close', async () => {
    const { client, next, closed } = openClient(socketMode.openConnection());
    await next();
    socketMode.requestReconnect('warning');
    expect(await next()).toEqual({ type: 'disconnect', reason: 'warning', debug_info: expect.any(Object) });
    client.close(1000);
    expect((await closed).code).toBe(1000);
    expect(socketMode.openConnections).toBe(0);
  });

  it('drops connections without a close frame', async () => {
    const { next, closed } = openClient(socketMode.openConnection());
    await next();
    socketMode.dropConnections();
    expect((await closed).code).toBe(1006);
  });
});

describe('the Socket Mode stand-in on raw TCP', () => {
  /** RFC 6455 §1.3's worked example: this Sec-WebSocket-Key must be answered with this accept value. */
  const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
  const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

  /** A masked client frame (FIN set) with a payload under 126 bytes, as RFC 6455 §5.2 lays it out. */
  function maskedClientFrame(opcode: number, text: string): Buffer {
    const payload = Buffer.from(text, 'utf8');
    if (payload.length > 125) throw new Error('maskedClientFrame handles short payloads only');
    const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
    const masked = payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0));
    return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
  }

  /** The length of the first server frame in `bytes` (header included), or Infinity while incomplete. */
  function firstFrameLength(bytes: Buffer): number {
    if (bytes.length < 2) return Infinity;
    const short = bytes.readUInt8(1) & 0x7f;
    if (short < 126) return 2 + short;
    if (short === 126) return bytes.length < 4 ? Infinity : 4 + bytes.readUInt16BE(2);
    return bytes.length < 10 ? Infinity : 10 + Number(bytes.readBigUInt64BE(2));
  }

  /** Opens a TCP connection, sends the upgrade request and returns everything the server writes. */
  async function rawUpgrade(url: string, key = RFC_KEY) {
    const target = new URL(url);
    const socket: Socket = connect(Number(target.port), '127.0.0.1');
    let received = Buffer.alloc(0);
    const events: (() => void)[] = [];
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      for (const wake of events.splice(0)) wake();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      for (const wake of events.splice(0)) wake();
    });
    const until = async (predicate: (bytes: Buffer) => boolean): Promise<Buffer> => {
      while (!predicate(received)) {
        if (socket.destroyed) throw new Error(`closed; got ${received.toString('latin1')}`);
        await new Promise<void>((resolve) => events.push(resolve));
      }
      return received;
    };
    socket.write(
      `GET ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\nupgrade: websocket\r\n` +
        `connection: Upgrade\r\nsec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n\r\n`,
    );
    const head = await until((bytes) => bytes.includes('\r\n\r\n'));
    const bodyStart = head.indexOf('\r\n\r\n') + 4;
    return {
      socket,
      status: head.subarray(0, bodyStart).toString('latin1'),
      /** Server bytes after the handshake, once `predicate` holds. */
      frames: async (predicate: (bytes: Buffer) => boolean) =>
        (await until((bytes) => predicate(bytes.subarray(bodyStart)))).subarray(bodyStart),
      closed: new Promise<void>((resolve) => socket.once('close', () => resolve())),
    };
  }

  it('completes the RFC 6455 handshake and sends hello as one unmasked text frame', async () => {
    const raw = await rawUpgrade(socketMode.openConnection());
    expect(raw.status).toMatch(/^HTTP\/1\.1 101 /);
    // Header names are case-insensitive (RFC 9110 §5.1); the accept value is not.
    const headers = raw.status.split('\r\n').map((line) => line.split(': '));
    expect(headers.find(([name]) => name?.toLowerCase() === 'sec-websocket-accept')?.[1]).toBe(RFC_ACCEPT);
    const frames = await raw.frames((bytes) => bytes.length >= firstFrameLength(bytes));
    expect(frames.readUInt8(0)).toBe(0x81);
    expect(frames.readUInt8(1) & 0x80).toBe(0);
    const length = firstFrameLength(frames);
    expect(JSON.parse(frames.subarray(length - frames.readUInt16BE(2), length).toString()).type).toBe(
      'hello',
    );
    raw.socket.destroy();
  });

  it('answers a ping with a pong carrying the same data, and a protocol error with close 1002', async () => {
    const raw = await rawUpgrade(socketMode.openConnection());
    const helloLength = firstFrameLength(
      await raw.frames((bytes) => bytes.length >= firstFrameLength(bytes)),
    );
    raw.socket.write(maskedClientFrame(0x9, 'are you there'));
    const pong = await raw.frames((bytes) => bytes.length >= helloLength + 15);
    expect(pong.subarray(helloLength, helloLength + 15)).toEqual(
      Buffer.concat([Buffer.from([0x8a, 13]), Buffer.from('are you there')]),
    );
    // An unmasked client frame is a protocol error: the server closes with 1002.
    raw.socket.write(Buffer.from([0x81, 0x01, 0x78]));
    const closing = await raw.frames((bytes) => bytes.length >= helloLength + 19);
    expect(closing.subarray(helloLength + 15)).toEqual(
      // A close frame, 2 bytes of payload: status 1002 (0x03ea), no reason.
      Buffer.from([0x88, 2, 0x03, 0xea]),
    );
    await raw.closed;
  });

  it('refuses an unknown ticket with 401', async () => {
    const url = socketMode.openConnection().replace(/ticket=[0-9a-f]+/, 'ticket=forged');
    const raw = await rawUpgrade(url);
    expect(raw.status).toMatch(/^HTTP\/1\.1 401 /);
    await raw.closed;
  });
});
