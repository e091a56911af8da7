/**
 * Reading and parsing the request bodies Slack's endpoints accept, for the stand-in: Web API calls
 * (form-encoded, JSON, multipart, or query string; JSON-in-form fields decoded the way Slack does)
 * and response_url posts (JSON, or a form with a `payload` field). Pure apart from reading the stream.
 */
import { IncomingMessage } from 'node:http';
import { ApiArgs } from './slack-web-api-methods';

/** Form fields Slack documents as "a JSON-based array ..., presented as a URL-encoded string". */
const JSON_ARGS = ['blocks', 'attachments', 'metadata', 'files'];

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface ParsedArgs {
  args: ApiArgs;
  error?: string;
  missingCharset?: boolean;
}

/** Parses a Web API request body the ways Slack accepts one, decoding JSON-in-form fields. */
export async function parseApiArgs(
  contentType: string | undefined,
  raw: Buffer,
  query: URLSearchParams,
): Promise<ParsedArgs> {
  const args: ApiArgs = Object.fromEntries(query.entries());
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (raw.length === 0) return { args };
  if (mediaType === undefined) return { args, error: 'missing_post_type' };
  if (mediaType === 'application/x-www-form-urlencoded') {
    Object.assign(args, Object.fromEntries(new URLSearchParams(raw.toString('utf8')).entries()));
  } else if (mediaType === 'application/json') {
    try {
      const json: unknown = JSON.parse(raw.toString('utf8'));
      if (typeof json !== 'object' || json === null || Array.isArray(json))
        return { args, error: 'invalid_json' };
      Object.assign(args, json);
    } catch {
      return { args, error: 'invalid_json' };
    }
  } else if (mediaType === 'multipart/form-data') {
    const form = await new Response(raw, { headers: { 'content-type': contentType ?? '' } }).formData();
    for (const [key, value] of form.entries()) {
      args[key] = typeof value === 'string' ? value : { filename: value.name, size: value.size };
    }
  } else {
    return { args, error: 'invalid_post_type' };
  }
  for (const key of JSON_ARGS) {
    const v = args[key];
    if (typeof v !== 'string') continue;
    try {
      args[key] = JSON.parse(v);
    } catch {
      // Left as a string: the handler answers invalid_blocks_format / invalid_attachments, like Slack.
    }
  }
  const missingCharset = mediaType === 'application/json' && !/charset=/i.test(contentType ?? '');
  return { args, missingCharset };
}

/** response_url accepts JSON (what Bolt's respond() sends) or a form with a `payload` field. */
export function parseResponseUrlBody(
  contentType: string | undefined,
  raw: string,
): Record<string, unknown> | undefined {
  try {
    const text = contentType?.startsWith('application/x-www-form-urlencoded')
      ? (new URLSearchParams(raw).get('payload') ?? '')
      : raw;
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
