/**
 * Suggestions shown by `/netpol suggest` (issue 10), kept until Request approval is clicked (or for
 * as long as a draft): the flows offered and what each adds to the change, so the click, which
 * carries only the suggestion's id and the ticked flows' ids, builds the change from what was shown,
 * not from flows seen since.
 */
import type Redis from 'ioredis';
import type { ObservedFlow } from '../../contracts/observed-flows';
import { isRequestId } from '../../contracts/request-id';
import type { Suggestion } from '../../core/suggest/suggest-policies';
import { DRAFT_TTL_MS } from './draft-store';

export interface SuggestionRecord {
  /** A request id: it becomes the id of the request submitted from it. */
  id: string;
  cluster: string;
  requester: string;
  channel: string;
  suggestion: Suggestion<ObservedFlow>;
  createdAt: string;
}

export class SuggestionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:suggestion:${id}`;
  }

  async put(record: SuggestionRecord): Promise<void> {
    await this.redis.set(this.key(record.id), JSON.stringify(record), 'PX', DRAFT_TTL_MS);
  }

  /** The suggestion; undefined when expired, already used, or not this user's. */
  async get(id: string, user: string): Promise<SuggestionRecord | undefined> {
    if (!isRequestId(id)) return undefined;
    const text = await this.redis.get(this.key(id));
    if (text === null) return undefined;
    const record = JSON.parse(text) as SuggestionRecord;
    return record.requester === user ? record : undefined;
  }

  /** Marks it used (atomically: of two clicks, one gets true). */
  async use(id: string): Promise<boolean> {
    return (await this.redis.del(this.key(id))) === 1;
  }
}
