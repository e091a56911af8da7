/**
 * The stand-in's response_url endpoints. Each URL is bound to where the interaction happened (channel,
 * source message, user) so a post has the effect Slack gives it: `replace_original` rewrites the
 * source message, `delete_original` removes it, `response_type: in_channel` posts a message, and the
 * default is an ephemeral reply to the user.
 *
 * Limits as Slack documents them: 5 uses within 30 minutes. The error bodies past those limits
 * (`used_url`, `expired_url`, HTTP 404) and for bad content (HTTP 400) are our best reading of
 * Slack's behaviour; Bolt's respond() only looks at whether the status is 2xx.
 */
import { checkMessageContent } from './block-kit-limits';
import { parseResponseUrlBody } from './slack-http-bodies';
import { SlackWorkspace } from './slack-workspace';

export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

export interface ResponseUrlBinding {
  channel?: string;
  /** The message the interaction came from; replace_original / delete_original act on it. */
  messageTs?: string;
  /** Who sees ephemeral replies. */
  user?: string;
}

export interface ResponseUrlPost {
  seq: number;
  id: string;
  at: number;
  monotonicMs: number;
  status: number;
  body: Record<string, unknown>;
  response_type?: string;
  replace_original?: boolean;
  delete_original?: boolean;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  error?: string;
}

type Binding = ResponseUrlBinding & { createdAt: number; uses: number };

export class SlackResponseUrls {
  readonly posts: ResponseUrlPost[] = [];
  private readonly bindings = new Map<string, Binding>();

  constructor(
    private readonly workspace: SlackWorkspace,
    private readonly now: () => number,
  ) {}

  bind(id: string, binding: ResponseUrlBinding): void {
    this.bindings.set(id, { ...binding, createdAt: this.now(), uses: 0 });
  }

  /** Applies one POST and records it; unknown ids are accepted with no binding. */
  receive(
    id: string,
    contentType: string | undefined,
    raw: string,
    stamp: { seq: number; monotonicMs: number },
  ): ResponseUrlPost {
    const binding = this.bindings.get(id) ?? { createdAt: this.now(), uses: 0 };
    this.bindings.set(id, binding);
    const body = parseResponseUrlBody(contentType, raw);
    const post: ResponseUrlPost = { ...stamp, id, at: this.now(), status: 200, body: body ?? {} };
    if (body !== undefined) {
      if (typeof body.response_type === 'string') post.response_type = body.response_type;
      if (typeof body.replace_original === 'boolean') post.replace_original = body.replace_original;
      if (typeof body.delete_original === 'boolean') post.delete_original = body.delete_original;
      if (typeof body.text === 'string') post.text = body.text;
      if (Array.isArray(body.blocks)) post.blocks = body.blocks;
      if (typeof body.thread_ts === 'string') post.thread_ts = body.thread_ts;
    }
    const failure = this.apply(binding, post, body);
    if (failure !== undefined) Object.assign(post, failure);
    this.posts.push(post);
    return post;
  }

  private apply(
    binding: Binding,
    post: ResponseUrlPost,
    body: Record<string, unknown> | undefined,
  ): { status: number; error: string } | undefined {
    if (this.now() - binding.createdAt > RESPONSE_URL_TTL_MS) return { status: 404, error: 'expired_url' };
    if (binding.uses >= RESPONSE_URL_MAX_USES) return { status: 404, error: 'used_url' };
    if (body === undefined) return { status: 400, error: 'invalid_payload' };
    const ws = this.workspace;
    const original =
      binding.channel !== undefined && binding.messageTs !== undefined
        ? ws.find(binding.channel, binding.messageTs)
        : undefined;
    if (post.delete_original === true) {
      if (original !== undefined) ws.delete(original);
      binding.uses += 1;
      return undefined;
    }
    const rejection = checkMessageContent({
      text: body.text,
      blocks: body.blocks,
      attachments: body.attachments,
    });
    if (rejection !== undefined) return { status: 400, error: rejection.error };
    binding.uses += 1;
    const content = { text: post.text ?? '', ...(post.blocks !== undefined ? { blocks: post.blocks } : {}) };
    if (post.replace_original === true && original !== undefined) {
      // A replacement is a whole new message body: blocks not sent are gone.
      ws.update(original, { ...content, blocks: post.blocks ?? [] }, ws.bot.userId);
    } else if (post.response_type === 'in_channel' && binding.channel !== undefined) {
      ws.post(binding.channel, {
        ...content,
        ...(post.thread_ts !== undefined ? { thread_ts: post.thread_ts } : {}),
      });
    } else if (binding.channel !== undefined && binding.user !== undefined) {
      ws.postEphemeral({ channel: binding.channel, user: binding.user, ...content, via: 'response_url' });
    }
    return undefined;
  }
}
