/**
 * A Slack Socket Mode stand-in: the WebSocket side of Slack's Socket Mode on 127.0.0.1, so tests run
 * Bolt's real SocketModeReceiver (and @slack/socket-mode's client) against it.
 *
 * The protocol, as Slack speaks it: the app calls `apps.connections.open` with its app-level token
 * (`xapp-…`; the Web API stand-in answers it through `attachSocketMode`) and gets a single-use URL
 * (`…/link/?ticket=…&app_id=…`); on connect the server sends `{"type":"hello",…}`; events arrive as
 * envelopes `{"envelope_id","type":"slash_commands"|"interactive"|"events_api","payload",
 * "accepts_response_payload"}`; the app acks each with `{"envelope_id","payload"}` on the same socket;
 * the server may ask the app to reconnect with `{"type":"disconnect","reason":…}`. Pings from the
 * client get pongs (the client drops a connection whose pongs stop).
 *
 * The WebSocket protocol itself (handshake, framing, masking, ping/pong, the close handshake, protocol
 * errors) is `ws`'s job, driven in `noServer` mode from this HTTP server's `upgrade` event so the stand-in
 * still decides which tickets open a connection. What is ours is Slack's layer on top.
 *
 * Lifecycle: `await SocketModeStandIn.start()` per test, `await standIn.close()` after it. Waits are
 * event-driven with a deadline. Single-threaded: all state changes happen on the event loop.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { TEST_BOT } from './slack-test-identity';
import { waitForChange } from '../wait-for-change';

/** The test app's app-level token (connections:write), shaped as Slack issues them. */
export const TEST_APP_TOKEN = `xapp-1-${TEST_BOT.appId}-0000000003-netpoltestapptoken`;

/** Slack's deadline on an ack (its docs: 3 seconds). */
export const SLACK_ACK_DEADLINE_MS = 3000;

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';
/** Why Slack asks the app to reconnect (`refresh_requested` about hourly; `warning` before it). */
export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled';

export interface SocketModeEnvelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
}

export interface SocketModeAck {
  envelopeId: string;
  /** The ack's payload: `{}` for a bare ack(), the response for slash commands that answer in it. */
  payload: Record<string, unknown>;
  /** From sending the envelope to receiving the ack. */
  elapsedMs: number;
}

export interface SocketModeStandInOptions {
  /** App-level tokens accepted by apps.connections.open; default TEST_APP_TOKEN. */
  appTokens?: string[];
  appId?: string;
}

interface Connection {
  id: number;
  socket: WebSocket;
}

const DEBUG_HOST = 'applink-netpol-stand-in';

/** Larger client messages close the connection with 1009 (Slack acks are a few KB). */
const MAX_MESSAGE_BYTES = 1 << 20;

export class SocketModeStandIn {
  /** ws://127.0.0.1:<port>: the base of every URL apps.connections.open hands out. */
  readonly url: string;
  readonly appTokens: ReadonlySet<string>;
  readonly appId: string;
  private readonly server: Server;
  private readonly websockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  private readonly events = new EventEmitter();
  private readonly tickets = new Set<string>();
  private readonly connections = new Map<number, Connection>();
  private readonly sentAt = new Map<string, number>();
  private readonly acked = new Map<string, SocketModeAck>();
  private readonly receivedMessages: unknown[] = [];
  private handshakes = 0;
  private ticketsIssued = 0;
  private closed = false;

  private constructor(server: Server, options: SocketModeStandInOptions) {
    this.server = server;
    this.url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.appTokens = new Set(options.appTokens ?? [TEST_APP_TOKEN]);
    this.appId = options.appId ?? TEST_BOT.appId;
    this.events.setMaxListeners(0);
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
  }

  static async start(options: SocketModeStandInOptions = {}): Promise<SocketModeStandIn> {
    const server = createServer((_req, res) => res.writeHead(426, { upgrade: 'websocket' }).end());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    return new SocketModeStandIn(server, options);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.events.emit('close');
    for (const connection of this.connections.values()) connection.socket.terminate();
    await new Promise<void>((resolve) => this.websockets.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- what apps.connections.open needs -----------------------------------------------------

  /** A fresh single-use WebSocket URL, as apps.connections.open answers it. */
  openConnection(): string {
    const ticket = randomBytes(16).toString('hex');
    this.tickets.add(ticket);
    this.ticketsIssued += 1;
    this.events.emit('change');
    return `${this.url}/link/?ticket=${ticket}&app_id=${encodeURIComponent(this.appId)}`;
  }

  // ---- inspection ---------------------------------------------------------------------------

  /** How many URLs apps.connections.open has handed out. */
  get connectionsIssued(): number {
    return this.ticketsIssued;
  }

  /** How many WebSocket handshakes completed (each got a hello). */
  get connectionsAccepted(): number {
    return this.handshakes;
  }

  /** Connections in the OPEN state: one whose close handshake has begun no longer counts. */
  get openConnections(): number {
    return this.openSockets().length;
  }

  /** Every text message the app sent, parsed (acks included), oldest first. */
  get received(): readonly unknown[] {
    return this.receivedMessages;
  }

  // ---- driving the app ----------------------------------------------------------------------

  /**
   * Sends an envelope on the newest open connection (waiting up to `timeoutMs` for one) and resolves
   * with the app's ack; rejects when no ack arrives within Slack's deadline.
   */
  async deliver(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    options: { acceptsResponsePayload?: boolean; timeoutMs?: number; ackDeadlineMs?: number } = {},
  ): Promise<SocketModeAck> {
    const connection = await this.waitFor(
      () => this.openSockets().at(-1),
      options.timeoutMs ?? 10_000,
      'an open Socket Mode connection',
    );
    const envelope: SocketModeEnvelope = {
      envelope_id: randomUUID(),
      type,
      payload,
      accepts_response_payload: options.acceptsResponsePayload ?? type === 'slash_commands',
    };
    this.sentAt.set(envelope.envelope_id, performance.now());
    this.send(connection, JSON.stringify(envelope));
    return this.waitFor(
      () => this.acked.get(envelope.envelope_id),
      options.ackDeadlineMs ?? SLACK_ACK_DEADLINE_MS,
      `the ack of ${type} envelope ${envelope.envelope_id}`,
    );
  }

  /** A slash command (the same fields as the HTTP form, as strings). */
  slashCommand(payload: Record<string, unknown>): Promise<SocketModeAck> {
    return this.deliver('slash_commands', payload);
  }

  /** An interaction payload (block_actions, view_submission, …). */
  interactive(payload: Record<string, unknown>): Promise<SocketModeAck> {
    return this.deliver('interactive', payload, { acceptsResponsePayload: false });
  }

  /** Sends `{"type":"disconnect","reason":…}` on every open connection: the app should reconnect. */
  requestReconnect(reason: DisconnectReason = 'refresh_requested'): void {
    const message = JSON.stringify({ type: 'disconnect', reason, debug_info: { host: DEBUG_HOST } });
    for (const connection of this.openSockets()) this.send(connection, message);
  }

  /** Cuts every open connection without a close frame, as a lost network does. */
  dropConnections(): void {
    for (const connection of this.connections.values()) connection.socket.terminate();
  }

  /** Resolves once `count` handshakes have completed and a connection is open. */
  waitForConnections(count: number, timeoutMs = 10_000): Promise<void> {
    return this.waitFor(
      () => (this.handshakes >= count && this.openSockets().length > 0 ? true : undefined),
      timeoutMs,
      `${count} Socket Mode connections`,
    ).then(() => undefined);
  }

  // ---- the WebSocket server -----------------------------------------------------------------

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (this.closed) return refuse('503 Service Unavailable');
    if (url.pathname !== '/link/' || !this.tickets.has(ticket)) return refuse('401 Unauthorized');
    // ws answers a malformed handshake with 400 itself; the ticket is spent only on a completed one.
    this.websockets.handleUpgrade(req, socket, head, (websocket) => {
      if (this.closed || !this.tickets.delete(ticket)) {
        websocket.terminate();
        return;
      }
      this.accept(websocket);
    });
  }

  private accept(websocket: WebSocket): void {
    const connection: Connection = { id: ++this.handshakes, socket: websocket };
    this.connections.set(connection.id, connection);
    // ws answers pings with pongs, echoes a close, and closes with 1002/1009 on protocol errors; the
    // error is reported here only so it does not go unhandled.
    websocket.on('error', () => undefined);
    websocket.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) this.message(rawText(data));
    });
    websocket.on('close', () => {
      this.connections.delete(connection.id);
      this.events.emit('change');
    });
    this.send(
      connection,
      JSON.stringify({
        type: 'hello',
        num_connections: this.openConnections,
        debug_info: { host: DEBUG_HOST, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
    this.events.emit('change');
  }

  private message(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    this.receivedMessages.push(parsed);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const { envelope_id: envelopeId, payload } = parsed as Record<string, unknown>;
      const sentAt = typeof envelopeId === 'string' ? this.sentAt.get(envelopeId) : undefined;
      if (typeof envelopeId === 'string' && sentAt !== undefined && !this.acked.has(envelopeId)) {
        this.acked.set(envelopeId, {
          envelopeId,
          payload:
            payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>) : {},
          elapsedMs: performance.now() - sentAt,
        });
      }
    }
    this.events.emit('change');
  }

  private openSockets(): Connection[] {
    return [...this.connections.values()].filter(({ socket }) => socket.readyState === WebSocket.OPEN);
  }

  private send(connection: Connection, text: string): void {
    connection.socket.send(text);
  }

  private waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return waitForChange({
      events: this.events,
      probe,
      timeoutMs,
      what,
      source: 'Socket Mode stand-in',
      describe: () =>
        ` (URLs issued ${this.ticketsIssued}, handshakes ${this.handshakes}, open ${this.openConnections})`,
    });
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8');
}
