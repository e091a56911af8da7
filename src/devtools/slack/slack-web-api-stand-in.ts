/**
 * A Slack Web API stand-in: an HTTP server on 127.0.0.1 (ephemeral port) that speaks the wire protocol
 * WebClient speaks (`POST <apiUrl><method>`, form-encoded or JSON, `Authorization: Bearer`), so tests
 * run the real @slack/web-api and Bolt code against it. It also serves `response_url`s, and the upload
 * URLs of Slack's external file upload (slack-files.ts), keeping the bytes uploaded.
 *
 * What it reproduces because bots get it wrong: bearer-token checks (`not_authed`, `invalid_auth`),
 * message limits (block-kit-limits.ts), chat.update semantics (SlackWorkspace.update), ephemeral
 * messages being un-editable, HTTP 429 with `Retry-After`, response_url's 5 uses / 30 minutes
 * (slack-response-urls.ts), and token types: `apps.connections.open` takes only an app-level token
 * (`xapp-…`, answered by an attached Socket Mode stand-in), every other method only a bot token. This file owns the transport: routing, auth, fault injection, recording
 * and waiting; the methods themselves are pure handlers in slack-web-api-methods.ts.
 *
 * Lifecycle: `await SlackWebApiStandIn.start()` per test, `await standIn.close()` after it. Every call
 * and response_url post is recorded; waits are event-driven with a deadline (no polling, no sleeps).
 * One instance per test: state is never shared.
 */
import { EventEmitter } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { parseApiArgs, readBody } from './slack-http-bodies';
import { uploadedBytes, type SlackFile } from './slack-files';
import { ResponseUrlBinding, ResponseUrlPost, SlackResponseUrls } from './slack-response-urls';
import { ApiArgs, ApiResult, WEB_API_METHODS } from './slack-web-api-methods';
import { SlackBotIdentity, SlackTeamIdentity, TEST_BOT, TEST_TEAM } from './slack-test-identity';
import {
  EphemeralMessage,
  SlackChannelSeed,
  SlackUserSeed,
  SlackWorkspace,
  StoredMessage,
} from './slack-workspace';
import { waitForChange } from '../wait-for-change';

export type { ResponseUrlBinding, ResponseUrlPost } from './slack-response-urls';
export type { SlackFile } from './slack-files';

export interface SlackWebApiStandInOptions {
  /** Bearer tokens accepted; default the test bot's token. */
  tokens?: string[];
  team?: SlackTeamIdentity;
  bot?: SlackBotIdentity;
  users?: SlackUserSeed[];
  channels?: SlackChannelSeed[];
  /** Usergroup ID (S…) → member user IDs. */
  usergroups?: Record<string, string[]>;
  /** Accept any well-formed channel ID (C…, G…, D…) not seeded. Default true. */
  autoCreateChannels?: boolean;
  /** Sent back in `x-oauth-scopes`, which WebClient exposes as response_metadata.scopes. */
  scopes?: string[];
  /** Clock in ms for message ts, response_url expiry and `at` stamps. Default Date.now. */
  now?: () => number;
}

export interface RecordedCall {
  seq: number;
  method: string;
  httpMethod: string;
  contentType?: string;
  /** From `Authorization: Bearer` or, for form posts, the `token` field. */
  token?: string;
  /** Parsed arguments with JSON-in-form fields (blocks, attachments, metadata) decoded; no token. */
  args: ApiArgs;
  /** Injected clock. */
  at: number;
  /** performance.now() when the request arrived: use for elapsed-time assertions. */
  monotonicMs: number;
  status: number;
  response: ApiResult;
}

interface FaultRule {
  method?: string;
  remaining: number;
  apply: (method: string) => { status: number; body: ApiResult; headers?: Record<string, string> };
}

/** What `apps.connections.open` needs from a Socket Mode server (socket-mode-stand-in.ts). */
export interface SocketModeEndpoint {
  /** App-level tokens (`xapp-…`) it accepts. */
  readonly appTokens: ReadonlySet<string>;
  /** A fresh single-use WebSocket URL. */
  openConnection(): string;
}

/** The one method that takes an app-level token; it answers from the attached Socket Mode server. */
const APP_TOKEN_METHOD = 'apps.connections.open';

const DEFAULT_SCOPES = ['chat:write', 'commands', 'users:read', 'usergroups:read', 'channels:read'];

export class SlackWebApiStandIn {
  readonly url: string;
  /** Pass as WebClient's / Bolt's `slackApiUrl`. */
  readonly apiUrl: string;
  readonly workspace: SlackWorkspace;
  private readonly server: Server;
  private readonly tokens: Set<string>;
  private readonly scopes: string[];
  private readonly now: () => number;
  private readonly events = new EventEmitter();
  private readonly recorded: RecordedCall[] = [];
  private readonly responseUrls: SlackResponseUrls;
  private faults: FaultRule[] = [];
  private socketMode: SocketModeEndpoint | undefined;
  private seq = 0;

  private constructor(server: Server, options: SlackWebApiStandInOptions) {
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.url}/api/`;
    this.now = options.now ?? Date.now;
    this.tokens = new Set(options.tokens ?? [(options.bot ?? TEST_BOT).token]);
    this.scopes = options.scopes ?? DEFAULT_SCOPES;
    this.workspace = new SlackWorkspace({
      team: options.team ?? TEST_TEAM,
      bot: options.bot ?? TEST_BOT,
      now: this.now,
      autoCreateChannels: options.autoCreateChannels ?? true,
    });
    for (const u of options.users ?? []) this.workspace.addUser(u);
    for (const c of options.channels ?? []) this.workspace.addChannel(c);
    for (const [id, members] of Object.entries(options.usergroups ?? {})) {
      this.workspace.setUsergroupMembers(id, members);
    }
    this.workspace.uploadUrlBase = `${this.url}/upload/`;
    this.responseUrls = new SlackResponseUrls(this.workspace, this.now);
    this.events.setMaxListeners(0);
  }

  static async start(options: SlackWebApiStandInOptions = {}): Promise<SlackWebApiStandIn> {
    const handlerRef: { handle?: (req: IncomingMessage, res: ServerResponse) => Promise<void> } = {};
    const server = createServer((req, res) => {
      if (handlerRef.handle === undefined) return void res.writeHead(503).end();
      handlerRef.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    const standIn = new SlackWebApiStandIn(server, options);
    handlerRef.handle = (req, res) => standIn.handle(req, res);
    return standIn;
  }

  async close(): Promise<void> {
    this.events.emit('close');
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- inspection ---------------------------------------------------------------------------

  get calls(): readonly RecordedCall[] {
    return this.recorded;
  }

  callsTo(method: string): RecordedCall[] {
    return this.recorded.filter((c) => c.method === method);
  }

  get responseUrlPosts(): readonly ResponseUrlPost[] {
    return this.responseUrls.posts;
  }

  /** Every live message in the channel (top-level and replies), oldest first, as snapshots. */
  messages(channel: string): StoredMessage[] {
    return structuredClone(this.workspace.allMessages(channel));
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    const m = this.workspace.find(channel, ts);
    return m === undefined ? undefined : structuredClone(m);
  }

  /** The message as Slack would put it in an interaction payload's `message` field. */
  apiMessage(channel: string, ts: string): ({ ts: string } & Record<string, unknown>) | undefined {
    const m = this.workspace.find(channel, ts);
    return m === undefined ? undefined : { ts: m.ts, ...this.workspace.toApiMessage(m) };
  }

  /** Replies in a thread (parent excluded), oldest first. */
  threadReplies(channel: string, threadTs: string): StoredMessage[] {
    return this.messages(channel).filter((m) => m.thread_ts === threadTs && m.ts !== threadTs);
  }

  /** Every file reserved, uploaded or shared, with the bytes the upload URL received. */
  files(): SlackFile[] {
    return this.workspace.files
      .all()
      .map((f) => ({ ...f, ...(f.bytes ? { bytes: Buffer.from(f.bytes) } : {}) }));
  }

  /** Resolves with the first file that matches (e.g. shared in a channel). */
  waitForFile(predicate: (file: SlackFile) => boolean, timeoutMs = 2000): Promise<SlackFile> {
    return this.waitFor(() => this.files().find(predicate), timeoutMs, 'a matching file');
  }

  ephemerals(filter: { channel?: string; user?: string } = {}): EphemeralMessage[] {
    return structuredClone(
      this.workspace.ephemerals.filter(
        (e) =>
          (filter.channel === undefined || e.channel === filter.channel) &&
          (filter.user === undefined || e.user === filter.user),
      ),
    );
  }

  // ---- configuration and fault injection ----------------------------------------------------

  addUser(user: SlackUserSeed): void {
    this.workspace.addUser(user);
  }

  addChannel(channel: SlackChannelSeed): void {
    this.workspace.addChannel(channel);
  }

  setUsergroupMembers(usergroupId: string, userIds: string[]): void {
    this.workspace.setUsergroupMembers(usergroupId, userIds);
  }

  /** Serve `apps.connections.open` for this Socket Mode server (and accept its app tokens there). */
  attachSocketMode(endpoint: SocketModeEndpoint): void {
    this.socketMode = endpoint;
  }

  /** A response_url on this server; the binding says what replace/delete/in_channel act on. */
  responseUrl(id: string, binding: ResponseUrlBinding = {}): string {
    this.responseUrls.bind(id, binding);
    return `${this.url}/response-url/${encodeURIComponent(id)}`;
  }

  /** The next `times` calls (to `method`, or to any method) get HTTP 429 with Retry-After. */
  rateLimitNext(options: { method?: string; times?: number; retryAfterSeconds?: number } = {}): void {
    const retryAfter = options.retryAfterSeconds ?? 1;
    this.faults.push({
      ...(options.method !== undefined ? { method: options.method } : {}),
      remaining: options.times ?? 1,
      apply: () => ({
        status: 429,
        body: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(retryAfter) },
      }),
    });
  }

  /** The next `times` calls to `method` answer `ok: false` with `error` (HTTP 200, or `httpStatus`). */
  failNext(options: { method: string; error: string; times?: number; httpStatus?: number }): void {
    this.faults.push({
      method: options.method,
      remaining: options.times ?? 1,
      apply: () => ({ status: options.httpStatus ?? 200, body: { ok: false, error: options.error } }),
    });
  }

  // ---- waiting ------------------------------------------------------------------------------

  waitForCall(predicate: (call: RecordedCall) => boolean, timeoutMs = 2000): Promise<RecordedCall> {
    return this.waitFor(() => this.recorded.find(predicate), timeoutMs, 'a matching Web API call');
  }

  /** Resolves with a snapshot of the first message in `channel` (replies included) that matches. */
  waitForMessage(
    channel: string,
    predicate: (message: StoredMessage) => boolean,
    timeoutMs = 2000,
  ): Promise<StoredMessage> {
    return this.waitFor(
      () => this.messages(channel).find(predicate),
      timeoutMs,
      `a matching message in ${channel}`,
    );
  }

  waitForResponseUrlPost(
    predicate: (post: ResponseUrlPost) => boolean,
    timeoutMs = 2000,
  ): Promise<ResponseUrlPost> {
    return this.waitFor(
      () => this.responseUrls.posts.find(predicate),
      timeoutMs,
      'a matching response_url post',
    );
  }

  waitForEphemeral(predicate: (e: EphemeralMessage) => boolean, timeoutMs = 2000): Promise<EphemeralMessage> {
    return this.waitFor(() => this.ephemerals().find(predicate), timeoutMs, 'a matching ephemeral message');
  }

  private waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return waitForChange({
      events: this.events,
      probe,
      timeoutMs,
      what,
      source: 'stand-in',
      describe: () =>
        `; calls so far: [${this.recorded.map((c) => `${c.method}→${c.response.ok ? 'ok' : c.response.error}`).join(', ')}]`,
    });
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const monotonicMs = performance.now();
    const url = new URL(req.url ?? '/', this.url);
    const raw = await readBody(req);
    const apiMatch = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    const responseUrlMatch = /^\/response-url\/([^/]+)$/.exec(url.pathname);
    const uploadMatch = /^\/upload\/([A-Z0-9]+)$/.exec(url.pathname);
    if (uploadMatch?.[1] !== undefined && req.method === 'POST') {
      // The upload URL: Slack answers 200 with a short text, 404 for a URL it never handed out.
      const bytes = await uploadedBytes(req.headers['content-type'], raw);
      const known = this.workspace.files.receive(uploadMatch[1], bytes);
      res
        .writeHead(known ? 200 : 404, { 'content-type': 'text/plain' })
        .end(known ? `OK - ${bytes.length}` : 'not found');
      this.events.emit('change');
    } else if (apiMatch?.[1] !== undefined) {
      await this.handleApi(apiMatch[1], req, raw, url, monotonicMs, res);
    } else if (responseUrlMatch?.[1] !== undefined && req.method === 'POST') {
      const post = this.responseUrls.receive(
        decodeURIComponent(responseUrlMatch[1]),
        req.headers['content-type'],
        raw.toString('utf8'),
        { seq: ++this.seq, monotonicMs },
      );
      res
        .writeHead(post.status, { 'content-type': 'application/json; charset=utf-8' })
        .end(JSON.stringify(post.error === undefined ? { ok: true } : { ok: false, error: post.error }));
      this.events.emit('change');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  }

  private async handleApi(
    method: string,
    req: IncomingMessage,
    raw: Buffer,
    url: URL,
    monotonicMs: number,
    res: ServerResponse,
  ): Promise<void> {
    const contentType = req.headers['content-type'];
    const parsed = await parseApiArgs(contentType, raw, url.searchParams);
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof parsed.args.token === 'string' ? parsed.args.token : undefined);
    const args = { ...parsed.args };
    delete args.token;

    let status = 200;
    let headers: Record<string, string> = {};
    let body: ApiResult;
    const isAppTokenMethod = method === APP_TOKEN_METHOD;
    const handler = Object.hasOwn(WEB_API_METHODS, method) ? WEB_API_METHODS[method] : undefined;
    const appTokens = this.socketMode?.appTokens ?? new Set<string>();
    if (handler === undefined && !isAppTokenMethod) {
      body = { ok: false, error: 'unknown_method', req_method: method };
    } else if (parsed.error !== undefined) {
      body = { ok: false, error: parsed.error };
    } else if (token === undefined) {
      body = { ok: false, error: 'not_authed' };
    } else if (isAppTokenMethod ? !appTokens.has(token) : !this.tokens.has(token)) {
      const wrongType = isAppTokenMethod ? this.tokens.has(token) : appTokens.has(token);
      body = { ok: false, error: wrongType ? 'not_allowed_token_type' : 'invalid_auth' };
    } else {
      const fault = this.takeFault(method);
      if (fault !== undefined) ({ status, body, headers = {} } = fault.apply(method));
      else if (handler !== undefined) body = handler(args, this.workspace);
      else body = { ok: true, url: (this.socketMode as SocketModeEndpoint).openConnection() };
    }
    if (status === 200 && parsed.missingCharset) {
      body = { ...body, warning: 'missing_charset', response_metadata: { warnings: ['missing_charset'] } };
    }
    this.recorded.push({
      seq: ++this.seq,
      method,
      httpMethod: req.method ?? 'GET',
      ...(contentType !== undefined ? { contentType } : {}),
      ...(token !== undefined ? { token } : {}),
      args,
      at: this.now(),
      monotonicMs,
      status,
      response: body,
    });
    res
      .writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-oauth-scopes': this.scopes.join(','),
        ...headers,
      })
      .end(JSON.stringify(body));
    this.events.emit('change');
  }

  /** Faults are consumed only by calls that would otherwise reach a handler with a valid token. */
  private takeFault(method: string): FaultRule | undefined {
    const rule = this.faults.find((f) => f.remaining > 0 && (f.method === undefined || f.method === method));
    if (rule === undefined) return undefined;
    rule.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return rule;
  }
}
