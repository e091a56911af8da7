/**
 * Files in the Slack stand-in, shared the way Slack's external upload shares them (the only upload
 * Slack keeps: files.upload is retired): `files.getUploadURLExternal` reserves an id and answers an
 * upload URL on the stand-in's server; the client POSTs the bytes there (raw, or multipart as
 * WebClient sends them); `files.completeUploadExternal` shares the uploaded files in a channel (or a
 * thread) as one message. The bytes are kept, so a test can check what arrived (a PNG, its size).
 * What Slack refuses is refused: completing a file never uploaded (`file_not_found`), an upload to
 * an unknown URL (404), a complete with no files (`invalid_arguments`).
 */
import { extname } from 'node:path';

export interface SlackFile {
  id: string;
  filename: string;
  /** Declared to files.getUploadURLExternal. */
  length: number;
  title?: string;
  altText?: string;
  /** What the upload URL received; undefined until then. */
  bytes?: Buffer;
  /** Where files.completeUploadExternal shared it. */
  shared?: { channel: string; ts: string; threadTs?: string };
}

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain',
  '.json': 'application/json',
};

export function mimeTypeOf(filename: string): string {
  const ext = extname(filename).toLowerCase();
  return Object.hasOwn(MIME_TYPES, ext) ? MIME_TYPES[ext]! : 'application/octet-stream';
}

export class SlackFiles {
  private readonly files = new Map<string, SlackFile>();
  private next = 1;

  reserve(filename: string, length: number, altText?: string): SlackFile {
    // Slack's file ids: F followed by upper-case letters and digits.
    const id = `F${String(this.next++).padStart(10, '0')}`;
    const file: SlackFile = { id, filename, length, ...(altText !== undefined ? { altText } : {}) };
    this.files.set(id, file);
    return file;
  }

  /** The upload URL's body arrived; false for an id never reserved. */
  receive(id: string, bytes: Buffer): boolean {
    const file = this.files.get(id);
    if (file === undefined) return false;
    file.bytes = bytes;
    return true;
  }

  get(id: string): SlackFile | undefined {
    return this.files.get(id);
  }

  all(): SlackFile[] {
    return [...this.files.values()];
  }

  /** The file as the Web API describes it (files.completeUploadExternal, a message's `files`). */
  apiFile(file: SlackFile, user: string): Record<string, unknown> {
    return {
      id: file.id,
      name: file.filename,
      title: file.title ?? file.filename,
      mimetype: mimeTypeOf(file.filename),
      filetype: extname(file.filename).slice(1).toLowerCase(),
      size: file.bytes?.length ?? 0,
      user,
    };
  }
}

/** The bytes of an upload URL's POST: the first file of a multipart form, else the raw body. */
export async function uploadedBytes(contentType: string | undefined, raw: Buffer): Promise<Buffer> {
  if (!/^multipart\/form-data/i.test(contentType ?? '')) return raw;
  const form = await new Response(raw, { headers: { 'content-type': contentType ?? '' } }).formData();
  for (const value of form.values()) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  return Buffer.alloc(0);
}
