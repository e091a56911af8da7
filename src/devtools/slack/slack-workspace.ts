/**
 * The in-memory workspace behind the Web API stand-in: channels, users, user groups, and each
 * channel's messages (with edits applied, thread replies, and ephemerals kept apart because Slack
 * never stores them in history).
 *
 * Message timestamps are allocated per channel from the injected clock and are strictly increasing
 * (`max(now, last) + 100µs`), so with a frozen clock they read 1700000000.000100, .000200, ...
 *
 * Single-threaded by construction (one Node event loop); nothing here is async.
 */
import { SlackFiles } from './slack-files';
import { SlackBotIdentity, SlackTeamIdentity } from './slack-test-identity';

export interface SlackUserSeed {
  id: string;
  name: string;
  real_name?: string;
  display_name?: string;
  email?: string;
  is_bot?: boolean;
  is_admin?: boolean;
  deleted?: boolean;
  tz?: string;
}

export interface SlackChannelSeed {
  id: string;
  name: string;
  is_private?: boolean;
  is_im?: boolean;
  is_archived?: boolean;
  /** Who is in the channel; undefined means everyone (chat.postEphemeral then accepts any user). */
  members?: string[];
  /** Whether the bot has joined; false makes chat.postMessage answer not_in_channel. Default true. */
  botIsMember?: boolean;
}

export interface SlackChannel {
  id: string;
  name: string;
  is_private: boolean;
  is_im: boolean;
  is_archived: boolean;
  botIsMember: boolean;
  members?: string[];
}

export interface MessageRevision {
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  /** Clock time (ms) at which this revision was written. */
  at: number;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  user: string;
  bot_id?: string;
  app_id?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  /** Files shared with it (files.completeUploadExternal), as the Web API describes them. */
  files?: Record<string, unknown>[];
  edited?: { user: string; ts: string };
  /** Every version of the message, oldest first; the last one is the current content. */
  revisions: MessageRevision[];
  deleted: boolean;
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  message_ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  via: 'chat.postEphemeral' | 'response_url';
  at: number;
}

export interface MessageContentArgs {
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

export class SlackWorkspace {
  readonly team: SlackTeamIdentity;
  readonly bot: SlackBotIdentity;
  private readonly now: () => number;
  private readonly autoCreateChannels: boolean;
  private readonly channels = new Map<string, SlackChannel>();
  private readonly users = new Map<string, SlackUserSeed>();
  private readonly usergroups = new Map<string, string[]>();
  private readonly messages = new Map<string, StoredMessage[]>();
  private readonly lastTsMicros = new Map<string, number>();
  readonly ephemerals: EphemeralMessage[] = [];
  /** Uploaded files (slack-files.ts). */
  readonly files = new SlackFiles();
  /** Where files.getUploadURLExternal points uploads: set by the stand-in to its own server. */
  uploadUrlBase = 'http://127.0.0.1/upload/';

  constructor(options: {
    team: SlackTeamIdentity;
    bot: SlackBotIdentity;
    now: () => number;
    autoCreateChannels: boolean;
  }) {
    this.team = options.team;
    this.bot = options.bot;
    this.now = options.now;
    this.autoCreateChannels = options.autoCreateChannels;
    this.addUser({ id: this.bot.userId, name: this.bot.name, is_bot: true });
  }

  addUser(user: SlackUserSeed): void {
    this.users.set(user.id, user);
  }

  user(id: string): SlackUserSeed | undefined {
    return this.users.get(id);
  }

  addChannel(seed: SlackChannelSeed): void {
    this.channels.set(seed.id, {
      is_private: false,
      is_im: false,
      is_archived: false,
      botIsMember: true,
      ...seed,
    });
  }

  /** Looks a channel up by ID or by name (`general` or `#general`), as chat.postMessage accepts both. */
  channel(idOrName: string | undefined): SlackChannel | undefined {
    if (idOrName === undefined || idOrName === '') return undefined;
    const byId = this.channels.get(idOrName);
    if (byId !== undefined) return byId;
    const name = idOrName.replace(/^#/, '');
    for (const c of this.channels.values()) if (c.name === name) return c;
    if (this.autoCreateChannels && CHANNEL_ID.test(idOrName)) {
      this.addChannel({ id: idOrName, name: idOrName.toLowerCase(), is_im: idOrName.startsWith('D') });
      return this.channels.get(idOrName);
    }
    return undefined;
  }

  setUsergroupMembers(usergroupId: string, userIds: string[]): void {
    this.usergroups.set(usergroupId, [...userIds]);
  }

  usergroupMembers(usergroupId: string): string[] | undefined {
    const members = this.usergroups.get(usergroupId);
    return members === undefined ? undefined : [...members];
  }

  allocateTs(channel: string): string {
    const nowMicros = Math.round(this.now() * 1000);
    const next = Math.max(nowMicros, this.lastTsMicros.get(channel) ?? 0) + 100;
    this.lastTsMicros.set(channel, next);
    return `${Math.floor(next / 1_000_000)}.${String(next % 1_000_000).padStart(6, '0')}`;
  }

  post(channel: string, content: MessageContentArgs & { thread_ts?: string; user?: string }): StoredMessage {
    const ts = this.allocateTs(channel);
    const message: StoredMessage = {
      channel,
      ts,
      user: content.user ?? this.bot.userId,
      text: content.text ?? '',
      revisions: [],
      deleted: false,
    };
    if (message.user === this.bot.userId) {
      message.bot_id = this.bot.botId;
      message.app_id = this.bot.appId;
    }
    if (content.thread_ts !== undefined) message.thread_ts = content.thread_ts;
    this.applyContent(message, content);
    const list = this.messages.get(channel) ?? [];
    list.push(message);
    this.messages.set(channel, list);
    return message;
  }

  /**
   * Edits the way chat.update does: each of text, blocks and attachments that is passed replaces the
   * old one; one that is omitted is kept (so a text-only update leaves old blocks showing, a classic
   * surprise); an empty blocks/attachments array removes them.
   */
  update(message: StoredMessage, content: MessageContentArgs, editor: string): void {
    if (content.text !== undefined) message.text = content.text;
    if (content.blocks !== undefined && content.blocks.length === 0) delete message.blocks;
    if (content.attachments !== undefined && content.attachments.length === 0) delete message.attachments;
    const kept: MessageContentArgs = { ...content };
    if (kept.blocks?.length === 0) delete kept.blocks;
    if (kept.attachments?.length === 0) delete kept.attachments;
    this.applyContent(message, kept);
    message.edited = { user: editor, ts: this.allocateTs(message.channel) };
  }

  delete(message: StoredMessage): void {
    message.deleted = true;
  }

  find(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.get(channel)?.find((m) => m.ts === ts && !m.deleted);
  }

  /** Every live message in the channel, top-level and replies, oldest first. */
  allMessages(channel: string): StoredMessage[] {
    return (this.messages.get(channel) ?? []).filter((m) => !m.deleted);
  }

  /** Top-level messages (thread parents included), newest first like conversations.history. */
  history(channel: string): StoredMessage[] {
    return this.allMessages(channel)
      .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts)
      .reverse();
  }

  /** The parent followed by its replies, oldest first like conversations.replies. */
  replies(channel: string, threadTs: string): StoredMessage[] {
    return this.allMessages(channel).filter((m) => m.ts === threadTs || m.thread_ts === threadTs);
  }

  /** The message as the Web API returns it (chat.postMessage's `message`, conversations.history). */
  toApiMessage(m: StoredMessage): Record<string, unknown> {
    const replies = this.allMessages(m.channel).filter((r) => r.thread_ts === m.ts && r.ts !== m.ts);
    const out: Record<string, unknown> = { type: 'message' };
    if (m.bot_id !== undefined) out.subtype = 'bot_message';
    Object.assign(out, { text: m.text, user: m.user, ts: m.ts, team: this.team.id });
    if (m.bot_id !== undefined) {
      out.bot_id = m.bot_id;
      out.app_id = m.app_id;
      out.bot_profile = { id: m.bot_id, app_id: m.app_id, name: this.bot.name, team_id: this.team.id };
    }
    if (m.blocks !== undefined) out.blocks = m.blocks;
    if (m.attachments !== undefined) out.attachments = m.attachments;
    if (m.metadata !== undefined) out.metadata = m.metadata;
    if (m.files !== undefined) out.files = m.files;
    if (m.thread_ts !== undefined) out.thread_ts = m.thread_ts;
    if (replies.length > 0) {
      out.thread_ts = m.ts;
      out.reply_count = replies.length;
      out.latest_reply = replies[replies.length - 1]?.ts;
    }
    if (m.edited !== undefined) out.edited = m.edited;
    return out;
  }

  postEphemeral(e: Omit<EphemeralMessage, 'message_ts' | 'at'>): EphemeralMessage {
    const stored: EphemeralMessage = { ...e, message_ts: this.allocateTs(e.channel), at: this.now() };
    this.ephemerals.push(stored);
    return stored;
  }

  private applyContent(message: StoredMessage, content: MessageContentArgs): void {
    if (content.blocks !== undefined) message.blocks = content.blocks;
    if (content.attachments !== undefined) message.attachments = content.attachments;
    if (content.metadata !== undefined) message.metadata = content.metadata;
    const revision: MessageRevision = { text: message.text, at: this.now() };
    if (message.blocks !== undefined) revision.blocks = message.blocks;
    if (message.attachments !== undefined) revision.attachments = message.attachments;
    message.revisions.push(revision);
  }
}
