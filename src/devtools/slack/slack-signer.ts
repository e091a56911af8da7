/**
 * Builds and signs the HTTP requests Slack sends to an app, byte for byte, so tests drive the real Bolt
 * receiver instead of calling listeners directly.
 *
 * - Slash commands arrive as `application/x-www-form-urlencoded` with Slack's field set.
 * - Interactivity arrives as the same content type with one field, `payload`, holding JSON. Slack's
 *   JSON escapes `/` as `\/` (PHP style); we do the same by default so nothing can depend on the raw
 *   bytes looking like `JSON.stringify` output.
 * - Every request is signed: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`.
 *
 * Pure functions except `postToBolt`, which performs one fetch. No shared state.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { TEST_BOT, TEST_TEAM, TEST_VERIFICATION_TOKEN } from './slack-test-identity';

/** Exactly what Slack sends; Bolt's HTTPReceiver parses the form only when the header is this string. */
export const SLACK_FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export interface SlackSignatureHeaders {
  'x-slack-request-timestamp': string;
  'x-slack-signature': string;
}

export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestampSeconds: number,
): SlackSignatureHeaders {
  const ts = String(Math.trunc(timestampSeconds));
  const digest = createHmac('sha256', signingSecret).update(`v0:${ts}:${rawBody}`).digest('hex');
  return { 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${digest}` };
}

/** A trigger_id shaped like Slack's: `<digits>.<digits>.<32 hex>`. */
export function newTriggerId(): string {
  const n = (): string => String(1_000_000_000 + randomBytes(4).readUInt32BE(0));
  return `${n()}.${n()}.${randomBytes(16).toString('hex')}`;
}

/** A Slack-style ts (`seconds.micros`) for the given time in milliseconds. */
export function slackTs(epochMs: number): string {
  const micros = Math.round(epochMs * 1000);
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

export interface SlashCommandFields {
  response_url: string;
  command?: string;
  text?: string;
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  team_id?: string;
  team_domain?: string;
  enterprise_id?: string;
  enterprise_name?: string;
  api_app_id?: string;
  is_enterprise_install?: boolean;
  trigger_id?: string;
  /** The deprecated verification token; Slack still sends it. */
  token?: string;
}

/** The raw form body of a slash command, fields in the order Slack sends them. */
export function slashCommandBody(fields: SlashCommandFields): string {
  const form = new URLSearchParams();
  form.append('token', fields.token ?? TEST_VERIFICATION_TOKEN);
  form.append('team_id', fields.team_id ?? TEST_TEAM.id);
  form.append('team_domain', fields.team_domain ?? TEST_TEAM.domain);
  if (fields.enterprise_id !== undefined) {
    form.append('enterprise_id', fields.enterprise_id);
    form.append('enterprise_name', fields.enterprise_name ?? '');
  }
  form.append('channel_id', fields.channel_id ?? 'C0NETPOLOPS');
  form.append('channel_name', fields.channel_name ?? 'netpol-ops');
  form.append('user_id', fields.user_id ?? 'U0ALICE001');
  form.append('user_name', fields.user_name ?? 'alice');
  form.append('command', fields.command ?? '/netpol');
  form.append('text', fields.text ?? '');
  form.append('api_app_id', fields.api_app_id ?? TEST_BOT.appId);
  form.append('is_enterprise_install', String(fields.is_enterprise_install ?? false));
  form.append('response_url', fields.response_url);
  form.append('trigger_id', fields.trigger_id ?? newTriggerId());
  return form.toString();
}

export interface ButtonActionInput {
  action_id: string;
  block_id: string;
  value?: string;
  /** The button's label; Slack echoes the element's text object. */
  text?: string;
  style?: 'primary' | 'danger';
  action_ts?: string;
}

export interface BlockActionsUser {
  id: string;
  username?: string;
  name?: string;
  team_id?: string;
}

export interface BlockActionsOptions {
  user: BlockActionsUser;
  channel: { id: string; name?: string };
  /**
   * The message carrying the buttons, as Slack stores it (e.g. read back from the Web API stand-in).
   * Only `ts` is required. Ignored when `ephemeral` is set: Slack omits `message` for ephemeral sources.
   */
  message: { ts: string; thread_ts?: string } & Record<string, unknown>;
  actions: ButtonActionInput[];
  response_url: string;
  ephemeral?: boolean;
  trigger_id?: string;
  team?: { id: string; domain: string };
  api_app_id?: string;
  token?: string;
  state?: { values: Record<string, unknown> };
  /** Escape `/` as `\/` like Slack does. Default true. */
  escapeSlashes?: boolean;
  /** Clock for `action_ts` defaults; defaults to Date.now. */
  nowMs?: number;
}

/** The JSON object Slack puts in the `payload` field for a button click (type block_actions). */
export function blockActionsPayload(options: BlockActionsOptions): Record<string, unknown> {
  const team = options.team ?? { id: TEST_TEAM.id, domain: TEST_TEAM.domain };
  const user = {
    id: options.user.id,
    username: options.user.username ?? options.user.name ?? options.user.id.toLowerCase(),
    name: options.user.name ?? options.user.username ?? options.user.id.toLowerCase(),
    team_id: options.user.team_id ?? team.id,
  };
  const container: Record<string, unknown> = {
    type: 'message',
    message_ts: options.message.ts,
    channel_id: options.channel.id,
    is_ephemeral: options.ephemeral ?? false,
  };
  if (options.message.thread_ts !== undefined) container.thread_ts = options.message.thread_ts;
  const actionTs = slackTs(options.nowMs ?? Date.now());
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    user,
    api_app_id: options.api_app_id ?? TEST_BOT.appId,
    token: options.token ?? TEST_VERIFICATION_TOKEN,
    container,
    trigger_id: options.trigger_id ?? newTriggerId(),
    team,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: options.channel.id, name: options.channel.name ?? options.channel.id.toLowerCase() },
  };
  if (options.ephemeral !== true) payload.message = options.message;
  payload.state = options.state ?? { values: {} };
  payload.response_url = options.response_url;
  payload.actions = options.actions.map((a) => {
    const action: Record<string, unknown> = {
      action_id: a.action_id,
      block_id: a.block_id,
      text: { type: 'plain_text', text: a.text ?? a.action_id, emoji: true },
    };
    if (a.value !== undefined) action.value = a.value;
    if (a.style !== undefined) action.style = a.style;
    action.type = 'button';
    action.action_ts = a.action_ts ?? actionTs;
    return action;
  });
  return payload;
}

/** The raw form body (`payload=<JSON>`) of a button click. */
export function blockActionsBody(options: BlockActionsOptions): string {
  let json = JSON.stringify(blockActionsPayload(options));
  if (options.escapeSlashes ?? true) json = json.replace(/\//g, '\\/');
  return new URLSearchParams({ payload: json }).toString();
}

export interface PostToBoltOptions {
  signingSecret: string;
  /** X-Slack-Request-Timestamp in seconds; defaults to now. */
  timestamp?: number;
  /** Sign with a different secret, giving a well-formed but wrong signature. */
  forgeSignature?: boolean;
  /** Defaults to exactly what Slack sends. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface BoltHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  elapsedMs: number;
}

/** POSTs a signed request the way Slack does and reports what came back and how long it took. */
export async function postToBolt(
  url: string,
  body: string,
  options: PostToBoltOptions,
): Promise<BoltHttpResponse> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const secret = options.forgeSignature === true ? `${options.signingSecret}-forged` : options.signingSecret;
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? SLACK_FORM_CONTENT_TYPE,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    accept: 'application/json,*/*',
    ...signSlackRequest(secret, body, timestamp),
    ...options.headers,
  };
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  const elapsedMs = performance.now() - started;
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body: text,
    elapsedMs,
  };
}
