/**
 * RequestStore: requests and their audit trails in Redis, behind RequestStoreApi. Shared by the bot
 * and the workers, each with its own instance over its own ioredis client; any number of processes
 * may use one Redis at once, because every mutation is a single Lua script (request-store.lua.ts)
 * and reads never assume anything between two calls. Time comes from the caller (`now`).
 *
 * Keys, all under `${prefix}:` so installations and tests can share a Redis:
 *   req:<id>                      hash: the record; JSON for namespaces/policies/warnings; `yaml`
 *                                 as text (absent on older records); plus createdAtMs/expiresAtMs
 *                                 for comparisons in Lua
 *   audit:req:<id>                list: the request's audit entries (JSON), oldest first, never trimmed
 *   audit:ns:<cluster>:<ns>       list: entries touching that namespace, newest first, capped
 *   state:<state>                 sorted set: ids in that state, score createdAtMs
 * Nothing expires: requests are the audit record. Needs a single Redis (not Redis Cluster).
 *
 * Errors (RequestStoreError.code): E_EXISTS, E_INVALID, E_NOT_FOUND, E_REDIS, E_CORRUPT; what each
 * means and what to do is in src/core/error-catalogue.ts.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { CodeOf } from '../../core/error-catalogue';
import type { AuditEntry, RequestRecord, RequestState } from '../../contracts/request-record';
import { ownValue } from '../../core/own-keys';
import type { DecideResult, RequestStoreApi, TransitionResult } from './request-store-api';
import { runScript, SCRIPTS, type LuaScript, type ScriptReply } from './request-store.lua';

export type RequestStoreErrorCode = CodeOf<'RequestStoreError'>;

export class RequestStoreError extends Error {
  readonly code: RequestStoreErrorCode;
  readonly operation: string;
  readonly requestId?: string;

  constructor(
    code: RequestStoreErrorCode,
    message: string,
    options: { operation: string; requestId?: string; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RequestStoreError';
    this.code = code;
    this.operation = options.operation;
    this.requestId = options.requestId;
  }
}

export interface RequestStoreOptions {
  /** Every key starts with `${prefix}:`. */
  prefix: string;
  /** Entries kept per namespace trail (default 1,000). */
  namespaceHistoryCap?: number;
}

/** Ids become key parts: anything else (a forged button value) is simply not found. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const JSON_FIELDS = ['namespaces', 'policies', 'warnings'] as const;
const REQUIRED = ['id', 'cluster', 'action', 'text', 'command', 'requester', 'requestChannel'] as const;
const REQUIRED_TOO = ['policyHash', 'effect', 'state', 'createdAt', 'expiresAt'] as const;
const OPTIONAL = [
  'yaml',
  'approvalChannel',
  'approvalTs',
  'decidedBy',
  'decidedAt',
  'reason',
  'appliedAt',
] as const;
/** How many records listByState reads per round trip. */
const PAGE = 100;

export class RequestStore implements RequestStoreApi {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly cap: number;

  constructor(redis: Redis, options: RequestStoreOptions) {
    this.redis = redis;
    this.prefix = options.prefix;
    this.cap = options.namespaceHistoryCap ?? 1000;
  }

  async create(record: RequestRecord): Promise<void> {
    const op = 'create';
    if (!SAFE_ID.test(record.id)) throw invalid(op, record.id, `unsafe id ${JSON.stringify(record.id)}`);
    if (record.state !== 'pending-approval') {
      throw invalid(op, record.id, `a new request must be pending-approval, not ${record.state}`);
    }
    const createdAtMs = toMs(op, record.id, record.createdAt);
    const expiresAtMs = toMs(op, record.id, record.expiresAt);
    const namespaces = [...new Set(record.namespaces)];
    const stored: RequestRecord = { ...record, namespaces };
    const entry: AuditEntry = {
      requestId: record.id,
      cluster: record.cluster,
      at: record.createdAt,
      actor: record.requester,
      action: 'submitted',
      to: 'pending-approval',
      namespaces,
    };
    const pairs = [...encode(stored), 'createdAtMs', String(createdAtMs), 'expiresAtMs', String(expiresAtMs)];
    const reply = await this.run(op, record.id, SCRIPTS.create, [JSON.stringify(entry), ...pairs]);
    if (reply.status === 'exists') {
      throw new RequestStoreError('E_EXISTS', `create ${record.id}: a request with this id already exists`, {
        operation: op,
        requestId: record.id,
      });
    }
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    const fields = await this.call('get', id, () => this.redis.hgetall(this.key('req', id)));
    return Object.keys(fields).length === 0 ? undefined : decode('get', id, fields);
  }

  async decide(id: string, decision: Parameters<RequestStoreApi['decide']>[1]): Promise<DecideResult> {
    const op = 'decide';
    if (decision.by === '') throw invalid(op, id, 'a decision needs who made it');
    const nowMs = toMs(op, id, decision.now);
    if (!SAFE_ID.test(id)) return { ok: false, refusal: 'not-found' };
    const { content } = decision;
    const reply = await this.run(op, id, SCRIPTS.decide, [
      decision.approve ? '1' : '0',
      decision.by,
      decision.reason ?? '',
      decision.now,
      String(nowMs),
      content.policyHash,
      // The stored field is JSON.stringify(policies) (encode): unchanged content gives the same bytes.
      createHash('sha1').update(JSON.stringify(content.policies)).digest('hex'),
      JSON.stringify([...new Set(content.namespaces)]),
    ]);
    const record = reply.fields === undefined ? undefined : decode(op, id, reply.fields);
    switch (reply.status) {
      case 'ok':
        if (record === undefined) throw unexpected(op, id, 'ok without the record');
        return { ok: true, record };
      case 'not-found':
      case 'not-pending':
      case 'expired':
      case 'self-approval':
      case 'changed':
        return record === undefined
          ? { ok: false, refusal: reply.status }
          : { ok: false, refusal: reply.status, record };
      default:
        throw unexpected(op, id, reply.status);
    }
  }

  async refuse(id: string, refusal: Parameters<RequestStoreApi['refuse']>[1]): Promise<boolean> {
    const op = 'refuse';
    if (refusal.by === '') throw invalid(op, id, 'a refusal needs who was refused');
    toMs(op, id, refusal.now);
    if (!SAFE_ID.test(id)) return false;
    const reply = await this.run(op, id, SCRIPTS.refuse, [
      refusal.now,
      refusal.by,
      refusal.why,
      JSON.stringify([...new Set(refusal.namespaces)]),
    ]);
    if (reply.status === 'ok') return true;
    if (reply.status === 'not-found') return false;
    throw unexpected(op, id, reply.status);
  }

  async transition(
    id: string,
    change: Parameters<RequestStoreApi['transition']>[1],
  ): Promise<TransitionResult> {
    const op = 'transition';
    toMs(op, id, change.now);
    if (!SAFE_ID.test(id)) return { ok: false };
    const fields: string[] = [];
    for (const [name, value] of Object.entries(change.fields ?? {})) {
      if (value !== undefined) fields.push(name, String(value));
    }
    const reply = await this.run(op, id, SCRIPTS.transition, [
      JSON.stringify(change.from),
      change.to,
      change.actor,
      change.action,
      change.now,
      change.detail ?? '',
      ...fields,
    ]);
    return this.transitionResult(op, id, reply);
  }

  async expire(id: string, now: string): Promise<TransitionResult> {
    const op = 'expire';
    const nowMs = toMs(op, id, now);
    if (!SAFE_ID.test(id)) return { ok: false };
    return this.transitionResult(op, id, await this.run(op, id, SCRIPTS.expire, [now, String(nowMs)]));
  }

  async setApprovalMessage(id: string, channel: string, ts: string): Promise<void> {
    const op = 'setApprovalMessage';
    const reply = SAFE_ID.test(id)
      ? await this.run(op, id, SCRIPTS.setApprovalMessage, [channel, ts])
      : { status: 'not-found' };
    if (reply.status === 'not-found') {
      throw new RequestStoreError('E_NOT_FOUND', `${op} ${id}: no such request`, {
        operation: op,
        requestId: id,
      });
    }
  }

  /** How many requests are in each of `states` now (one ZCARD of each state's index), for metrics. */
  async countByState(states: readonly RequestState[]): Promise<Map<RequestState, number>> {
    const counts = await this.call('countByState', undefined, async () => {
      const pipeline = this.redis.pipeline();
      for (const state of states) pipeline.zcard(this.key('state', state));
      return pipelineResults(await pipeline.exec());
    });
    return new Map(states.map((state, i) => [state, Number(counts[i])]));
  }

  async listByState(
    states: RequestState[],
    options: { cluster?: string; limit?: number } = {},
  ): Promise<RequestRecord[]> {
    const op = 'listByState';
    const limit = options.limit ?? Infinity;
    const wanted = new Set(states);
    if (limit <= 0 || wanted.size === 0) return [];
    // Ids of every listed state, merged oldest first (ties by id, so the order is stable).
    const ranked = await this.call(op, undefined, async () => {
      const pipeline = this.redis.pipeline();
      for (const state of wanted) pipeline.zrange(this.key('state', state), 0, -1, 'WITHSCORES');
      return pipelineResults(await pipeline.exec());
    });
    const ids = ranked
      .flatMap((flat) => pairsOf(flat as string[]).map(([id, score]) => ({ id, score: Number(score) })))
      .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(({ id }) => id);
    // Read the records a page at a time, until the limit is reached. A request that changed state
    // since the index was read is left out: the answer is what the records say now.
    const out: RequestRecord[] = [];
    for (let start = 0; start < ids.length && out.length < limit; start += PAGE) {
      const page = ids.slice(start, start + PAGE);
      const hashes = await this.call(op, undefined, async () => {
        const pipeline = this.redis.pipeline();
        for (const id of page) pipeline.hgetall(this.key('req', id));
        return pipelineResults(await pipeline.exec());
      });
      hashes.forEach((fields, i) => {
        const hash = fields as Record<string, string>;
        if (Object.keys(hash).length === 0 || out.length >= limit) return;
        const record = decode(op, page[i]!, hash);
        if (!wanted.has(record.state)) return;
        if (options.cluster !== undefined && record.cluster !== options.cluster) return;
        out.push(record);
      });
    }
    return out;
  }

  async audit(id: string): Promise<AuditEntry[]> {
    if (!SAFE_ID.test(id)) return [];
    const entries = await this.call('audit', id, () => this.redis.lrange(this.key('audit:req', id), 0, -1));
    return entries.map((json) => decodeEntry('audit', id, json));
  }

  async history(cluster: string, namespace: string, options: { limit?: number } = {}): Promise<AuditEntry[]> {
    const limit = options.limit ?? this.cap;
    if (limit <= 0) return [];
    const key = this.key('audit:ns', `${cluster}:${namespace}`);
    const entries = await this.call('history', undefined, () => this.redis.lrange(key, 0, limit - 1));
    return entries.map((json) => decodeEntry('history', undefined, json));
  }

  private key(kind: string, rest: string): string {
    return `${this.prefix}:${kind}:${rest}`;
  }

  private run(op: string, id: string, lua: LuaScript, args: string[]): Promise<ScriptReply> {
    const keys = [this.key('req', id), this.key('audit:req', id)];
    return this.call(op, id, () => runScript(this.redis, lua, keys, [this.prefix, id, this.cap, ...args]));
  }

  /** Runs one Redis interaction, wrapping whatever it throws in an E_REDIS naming the operation. */
  private async call<T>(op: string, id: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const what = id === undefined ? op : `${op} ${id}`;
      const message = error instanceof Error ? error.message : String(error);
      throw new RequestStoreError('E_REDIS', `${what}: redis failed: ${message}`, {
        operation: op,
        requestId: id,
        cause: error,
      });
    }
  }

  private transitionResult(op: string, id: string, reply: ScriptReply): TransitionResult {
    const record = reply.fields === undefined ? undefined : decode(op, id, reply.fields);
    if (reply.status === 'ok' && record !== undefined) return { ok: true, record };
    if (reply.status === 'refused' || reply.status === 'not-found') {
      return record === undefined ? { ok: false } : { ok: false, record };
    }
    throw unexpected(op, id, reply.status);
  }
}

/** The record as hash field/value pairs (absent optional fields are not written). */
function encode(record: RequestRecord): string[] {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    const json = (JSON_FIELDS as readonly string[]).includes(name);
    pairs.push(name, json ? JSON.stringify(value) : String(value));
  }
  return pairs;
}

function decode(op: string, id: string, hash: Record<string, string>): RequestRecord {
  const corrupt = (why: string, cause?: unknown) =>
    new RequestStoreError('E_CORRUPT', `${op} ${id}: the stored request cannot be read: ${why}`, {
      operation: op,
      requestId: id,
      cause,
    });
  // Own fields only: a field Redis does not hold is missing, whatever Object.prototype carries.
  const text = (name: string): string => {
    const value = ownValue(hash, name);
    if (value === undefined) throw corrupt(`field ${name} is missing`);
    return value;
  };
  const json = <T>(name: string): T => {
    try {
      return JSON.parse(text(name)) as T;
    } catch (error) {
      throw error instanceof RequestStoreError ? error : corrupt(`field ${name} is not JSON`, error);
    }
  };
  const record = {
    ...Object.fromEntries([...REQUIRED, ...REQUIRED_TOO].map((name) => [name, text(name)])),
    namespaces: json<string[]>('namespaces'),
    policies: json<RequestRecord['policies']>('policies'),
    warnings: json<string[]>('warnings'),
  } as unknown as RequestRecord;
  for (const name of OPTIONAL) {
    const value = ownValue(hash, name);
    if (value !== undefined) record[name] = value;
  }
  const attempts = ownValue(hash, 'attempts');
  if (attempts !== undefined) record.attempts = Number(attempts);
  return record;
}

function decodeEntry(op: string, id: string | undefined, json: string): AuditEntry {
  let raw: AuditEntry;
  try {
    raw = JSON.parse(json) as AuditEntry;
  } catch (error) {
    throw new RequestStoreError(
      'E_CORRUPT',
      `${op}${id === undefined ? '' : ` ${id}`}: an audit entry is not JSON`,
      {
        operation: op,
        requestId: id,
        cause: error,
      },
    );
  }
  // One key order whatever wrote it (JS or Lua's cjson).
  const entry: AuditEntry = {
    requestId: raw.requestId,
    cluster: raw.cluster,
    at: raw.at,
    actor: raw.actor,
    action: raw.action,
    namespaces: raw.namespaces,
  };
  if (raw.from !== undefined) entry.from = raw.from;
  if (raw.to !== undefined) entry.to = raw.to;
  if (raw.detail !== undefined) entry.detail = raw.detail;
  return entry;
}

function toMs(op: string, id: string, iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw invalid(op, id, `${JSON.stringify(iso)} is not an ISO-8601 time`);
  return ms;
}

function invalid(op: string, id: string, why: string): RequestStoreError {
  return new RequestStoreError('E_INVALID', `${op} ${id}: ${why}`, { operation: op, requestId: id });
}

function unexpected(op: string, id: string, status: string): RequestStoreError {
  return new RequestStoreError('E_CORRUPT', `${op} ${id}: unexpected script status ${status}`, {
    operation: op,
    requestId: id,
  });
}

function pipelineResults(results: [Error | null, unknown][] | null): unknown[] {
  if (results === null) throw new Error('the pipeline was discarded');
  return results.map(([error, value]) => {
    if (error !== null) throw error;
    return value;
  });
}

function pairsOf(flat: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  return pairs;
}
