/**
 * Previewed but not yet submitted requests. The preview's Submit button carries only the draft id;
 * the draft holds the exact record that was shown, so what is submitted is what was previewed (a
 * button never carries a command to re-run). Drafts expire on their own and are taken atomically
 * (GETDEL), so a double click submits once.
 */
import type Redis from 'ioredis';
import { isRequestId } from '../../contracts/request-id';
import type { RequestRecord } from '../../contracts/request-record';

export const DRAFT_TTL_MS = 30 * 60 * 1000;

export class DraftStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:draft:${id}`;
  }

  async put(record: RequestRecord): Promise<void> {
    await this.redis.set(this.key(record.id), JSON.stringify(record), 'PX', DRAFT_TTL_MS);
  }

  /** Removes and returns the draft; undefined when expired, already taken, or not this user's. */
  async take(id: string, user: string): Promise<RequestRecord | undefined> {
    if (!isRequestId(id)) return undefined;
    const peek = await this.redis.get(this.key(id));
    if (peek === null || (JSON.parse(peek) as RequestRecord).requester !== user) return undefined;
    const text = await this.redis.getdel(this.key(id));
    return text === null ? undefined : (JSON.parse(text) as RequestRecord);
  }

  async discard(id: string, user: string): Promise<boolean> {
    return (await this.take(id, user)) !== undefined;
  }
}
