/**
 * The Web API methods the stand-in implements, as pure handlers over a SlackWorkspace: parsed
 * arguments in, the JSON Slack would answer out (`ok: true` with the method's fields, or `ok: false`
 * with the method's error code). Transport concerns (auth, content types, 429s, recording) live in
 * slack-web-api-stand-in.ts.
 *
 * Response shapes follow Slack's documented examples; fields no bot reads are left out rather than
 * invented.
 */
import { checkMessageContent } from './block-kit-limits';
import { SlackWorkspace, StoredMessage } from './slack-workspace';

export type ApiArgs = Record<string, unknown>;
export type ApiResult = { ok: boolean; error?: string } & Record<string, unknown>;
export type MethodHandler = (args: ApiArgs, ws: SlackWorkspace) => ApiResult;

const fail = (error: string, extra: Record<string, unknown> = {}): ApiResult => ({
  ok: false,
  error,
  ...extra,
});

/** A string argument; JSON callers may send numbers or booleans where forms send strings. */
function str(args: ApiArgs, key: string): string | undefined {
  const v = args[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function contentRejection(args: ApiArgs): ApiResult | undefined {
  const rejection = checkMessageContent({
    text: args.text,
    blocks: args.blocks,
    attachments: args.attachments,
  });
  if (rejection === undefined) return undefined;
  if (rejection.errors === undefined) return fail(rejection.error);
  return fail(rejection.error, {
    errors: rejection.errors,
    response_metadata: { messages: rejection.errors.map((e) => `[ERROR] ${e}`) },
  });
}

function content(args: ApiArgs): {
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
} {
  const out: { text?: string; blocks?: unknown[]; attachments?: unknown[]; metadata?: unknown } = {};
  const text = str(args, 'text');
  if (text !== undefined) out.text = text;
  if (Array.isArray(args.blocks)) out.blocks = args.blocks;
  if (Array.isArray(args.attachments)) out.attachments = args.attachments;
  if (args.metadata !== undefined) out.metadata = args.metadata;
  return out;
}

function permalink(ws: SlackWorkspace, m: StoredMessage): string {
  const base = `https://${ws.team.domain}.slack.com/archives/${m.channel}/p${m.ts.replace('.', '')}`;
  return m.thread_ts !== undefined && m.thread_ts !== m.ts
    ? `${base}?thread_ts=${m.thread_ts}&cid=${m.channel}`
    : base;
}

export const WEB_API_METHODS: Readonly<Record<string, MethodHandler>> = {
  'auth.test': (_args, ws) => ({
    ok: true,
    url: `https://${ws.team.domain}.slack.com/`,
    team: ws.team.name,
    user: ws.bot.name,
    team_id: ws.team.id,
    user_id: ws.bot.userId,
    bot_id: ws.bot.botId,
    is_enterprise_install: false,
  }),

  'chat.postMessage': (args, ws) => {
    const channel = ws.channel(str(args, 'channel'));
    if (channel === undefined) return fail('channel_not_found');
    if (channel.is_archived) return fail('is_archived');
    if (!channel.botIsMember) return fail('not_in_channel');
    const rejected = contentRejection(args);
    if (rejected !== undefined) return rejected;
    let threadTs = str(args, 'thread_ts');
    // Replying to a reply lands in the parent's thread, as in Slack.
    const parent = threadTs === undefined ? undefined : ws.find(channel.id, threadTs);
    if (parent?.thread_ts !== undefined) threadTs = parent.thread_ts;
    const stored = ws.post(channel.id, {
      ...content(args),
      ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
    });
    return { ok: true, channel: channel.id, ts: stored.ts, message: ws.toApiMessage(stored) };
  },

  'chat.update': (args, ws) => {
    const channel = ws.channel(str(args, 'channel'));
    if (channel === undefined) return fail('channel_not_found');
    const ts = str(args, 'ts');
    // Ephemeral messages are not stored in history, so they are "not found" here, exactly like Slack.
    const message = ts === undefined ? undefined : ws.find(channel.id, ts);
    if (message === undefined) return fail('message_not_found');
    if (message.user !== ws.bot.userId) return fail('cant_update_message');
    const rejected = contentRejection(args);
    if (rejected !== undefined) return rejected;
    ws.update(message, content(args), ws.bot.userId);
    const api = ws.toApiMessage(message);
    return { ok: true, channel: channel.id, ts: message.ts, text: message.text, message: api };
  },

  'chat.delete': (args, ws) => {
    const channel = ws.channel(str(args, 'channel'));
    if (channel === undefined) return fail('channel_not_found');
    const message = ws.find(channel.id, str(args, 'ts') ?? '');
    if (message === undefined) return fail('message_not_found');
    if (message.user !== ws.bot.userId) return fail('cant_delete_message');
    ws.delete(message);
    return { ok: true, channel: channel.id, ts: message.ts };
  },

  'chat.postEphemeral': (args, ws) => {
    const channel = ws.channel(str(args, 'channel'));
    if (channel === undefined) return fail('channel_not_found');
    const user = str(args, 'user');
    if (user === undefined || ws.user(user) === undefined) return fail('user_not_found');
    if (channel.members !== undefined && !channel.members.includes(user)) return fail('user_not_in_channel');
    const rejected = contentRejection(args);
    if (rejected !== undefined) return rejected;
    const c = content(args);
    const threadTs = str(args, 'thread_ts');
    const e = ws.postEphemeral({
      channel: channel.id,
      user,
      text: c.text ?? '',
      ...(c.blocks !== undefined ? { blocks: c.blocks } : {}),
      ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
      via: 'chat.postEphemeral',
    });
    return { ok: true, message_ts: e.message_ts };
  },

  'chat.getPermalink': (args, ws) => {
    const channel = ws.channel(str(args, 'channel'));
    if (channel === undefined) return fail('channel_not_found');
    const message = ws.find(channel.id, str(args, 'message_ts') ?? '');
    if (message === undefined) return fail('message_not_found');
    return { ok: true, channel: channel.id, permalink: permalink(ws, message) };
  },

  'conversations.info': (args, ws) => {
    const c = ws.channel(str(args, 'channel'));
    if (c === undefined) return fail('channel_not_found');
    return {
      ok: true,
      channel: {
        id: c.id,
        name: c.name,
        is_channel: !c.is_private && !c.is_im,
        is_group: false,
        is_im: c.is_im,
        is_mpim: false,
        is_private: c.is_private,
        is_archived: c.is_archived,
        is_general: false,
        is_member: c.botIsMember,
        name_normalized: c.name,
        context_team_id: ws.team.id,
        ...(c.members !== undefined ? { num_members: c.members.length } : {}),
      },
    };
  },

  'conversations.history': (args, ws) => {
    const c = ws.channel(str(args, 'channel'));
    if (c === undefined) return fail('channel_not_found');
    const limit = Number(str(args, 'limit') ?? 100);
    const all = ws.history(c.id);
    return {
      ok: true,
      messages: all.slice(0, limit).map((m) => ws.toApiMessage(m)),
      has_more: all.length > limit,
      pin_count: 0,
      response_metadata: { next_cursor: '' },
    };
  },

  'conversations.replies': (args, ws) => {
    const c = ws.channel(str(args, 'channel'));
    if (c === undefined) return fail('channel_not_found');
    const ts = str(args, 'ts');
    if (ts === undefined || ws.find(c.id, ts) === undefined) return fail('thread_not_found');
    const parentTs = ws.find(c.id, ts)?.thread_ts ?? ts;
    return { ok: true, messages: ws.replies(c.id, parentTs).map((m) => ws.toApiMessage(m)), has_more: false };
  },

  'users.info': (args, ws) => {
    const u = ws.user(str(args, 'user') ?? '');
    if (u === undefined) return fail('user_not_found');
    const realName = u.real_name ?? u.name;
    return {
      ok: true,
      user: {
        id: u.id,
        team_id: ws.team.id,
        name: u.name,
        deleted: u.deleted ?? false,
        real_name: realName,
        tz: u.tz ?? 'Europe/London',
        is_admin: u.is_admin ?? false,
        is_owner: false,
        is_primary_owner: false,
        is_restricted: false,
        is_ultra_restricted: false,
        is_bot: u.is_bot ?? false,
        is_app_user: false,
        profile: {
          real_name: realName,
          display_name: u.display_name ?? u.name,
          real_name_normalized: realName,
          display_name_normalized: u.display_name ?? u.name,
          ...(u.email !== undefined ? { email: u.email } : {}),
          team: ws.team.id,
        },
      },
    };
  },

  // Slack's external upload (slack-files.ts): reserve, upload to the URL (the stand-in's server),
  // then complete, which shares the files as one message.
  'files.getUploadURLExternal': (args, ws) => {
    const filename = str(args, 'filename');
    const length = Number(str(args, 'length'));
    if (filename === undefined || filename === '' || !Number.isInteger(length) || length <= 0)
      return fail('invalid_arguments');
    const altText = str(args, 'alt_text') ?? str(args, 'alt_txt');
    const file = ws.files.reserve(filename, length, altText);
    return { ok: true, upload_url: `${ws.uploadUrlBase}${file.id}`, file_id: file.id };
  },

  'files.completeUploadExternal': (args, ws) => {
    const wanted = Array.isArray(args.files) ? (args.files as unknown[]) : undefined;
    if (wanted === undefined || wanted.length === 0) return fail('invalid_arguments');
    const files = [];
    for (const entry of wanted) {
      const { id, title } = (typeof entry === 'object' && entry !== null ? entry : {}) as {
        id?: unknown;
        title?: unknown;
      };
      const file = typeof id === 'string' ? ws.files.get(id) : undefined;
      // Reserved but never uploaded is as unknown to Slack as a made-up id.
      if (file?.bytes === undefined) return fail('file_not_found');
      if (typeof title === 'string') file.title = title;
      files.push(file);
    }
    const channelId = str(args, 'channel_id');
    if (channelId !== undefined) {
      const channel = ws.channel(channelId);
      if (channel === undefined) return fail('channel_not_found');
      if (channel.is_archived) return fail('is_archived');
      if (!channel.botIsMember) return fail('not_in_channel');
      const threadTs = str(args, 'thread_ts');
      const stored = ws.post(channel.id, {
        text: str(args, 'initial_comment') ?? '',
        ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
      });
      stored.files = files.map((f) => ws.files.apiFile(f, ws.bot.userId));
      for (const f of files)
        f.shared = { channel: channel.id, ts: stored.ts, ...(threadTs !== undefined ? { threadTs } : {}) };
    }
    return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title ?? f.filename })) };
  },

  'usergroups.users.list': (args, ws) => {
    const members = ws.usergroupMembers(str(args, 'usergroup') ?? '');
    if (members === undefined) return fail('no_such_subteam');
    return { ok: true, users: members };
  },
};
