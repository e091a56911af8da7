/**
 * The Lua scripts behind RequestStore: each mutation is one script, so its check and all its writes
 * (record fields, state, state indexes, the request's audit entry and every namespace's trail) happen
 * in Redis as one step. Scripts never read the clock: the caller passes `now` as ISO text and ms.
 *
 * Calling convention, shared by every script:
 *   KEYS[1] = `<prefix>:req:<id>` (hash), KEYS[2] = `<prefix>:audit:req:<id>` (list)
 *   ARGV[1] = prefix, ARGV[2] = id, ARGV[3] = namespace trail cap, then the script's own arguments.
 * The state indexes and namespace trails depend on the stored record, so they are derived from the
 * prefix inside the script: fine on a single Redis (what BullMQ also needs), not on Redis Cluster.
 *
 * Every script replies `{status}` or `{status, HGETALL of the record}`.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

const PRELUDE = `
local prefix, id, cap = ARGV[1], ARGV[2], tonumber(ARGV[3])
local reqKey, auditKey = KEYS[1], KEYS[2]

local function record(status)
  return {status, redis.call('HGETALL', reqKey)}
end

-- One audit entry as JSON. namespaces (a JSON array: nsJson, or the stored field) is spliced in as
-- is: cjson would turn [] into {}.
local function entry(at, actor, action, from, to, detail, nsJson)
  local e = {requestId = id, cluster = redis.call('HGET', reqKey, 'cluster'), at = at, actor = actor,
    action = action}
  if from ~= nil and from ~= '' then e.from = from end
  if to ~= nil and to ~= '' then e.to = to end
  if detail ~= nil and detail ~= '' then e.detail = detail end
  local json = cjson.encode(e)
  local namespaces = nsJson or redis.call('HGET', reqKey, 'namespaces')
  return string.sub(json, 1, -2) .. ',"namespaces":' .. namespaces .. '}'
end

-- Appends to the request's trail and, newest first and capped, to each namespace's trail (those of
-- nsJson, or of the stored field).
local function audit(json, nsJson)
  redis.call('RPUSH', auditKey, json)
  local cluster = redis.call('HGET', reqKey, 'cluster')
  for _, ns in ipairs(cjson.decode(nsJson or redis.call('HGET', reqKey, 'namespaces'))) do
    local key = prefix .. ':audit:ns:' .. cluster .. ':' .. ns
    redis.call('LPUSH', key, json)
    redis.call('LTRIM', key, 0, cap - 1)
  end
end

local function setState(from, to)
  redis.call('HSET', reqKey, 'state', to)
  redis.call('ZREM', prefix .. ':state:' .. from, id)
  redis.call('ZADD', prefix .. ':state:' .. to, redis.call('HGET', reqKey, 'createdAtMs'), id)
end

-- The expiry rule shared by decide and expire: pending and due -> expired, audited by system.
local function expireIfDue(now, nowMs)
  if tonumber(redis.call('HGET', reqKey, 'expiresAtMs')) > nowMs then return false end
  setState('pending-approval', 'expired')
  audit(entry(now, 'system', 'expired', 'pending-approval', 'expired', ''))
  return true
end
`;

/** ARGV[4] = the audit entry (JSON, built by the caller), ARGV[5..] = field/value pairs. */
const CREATE = `
if redis.call('EXISTS', reqKey) == 1 then return {'exists'} end
for i = 5, #ARGV, 2 do redis.call('HSET', reqKey, ARGV[i], ARGV[i + 1]) end
setState('pending-approval', 'pending-approval')
audit(ARGV[4])
return {'ok'}
`;

/**
 * ARGV[4] = '1' approve / '0' reject, [5] = by, [6] = reason ('' = none), [7] = now, [8] = now ms,
 * [9] = the policy hash decided on, [10] = sha1 of the policies JSON decided on, [11] = the
 * namespaces the decider was checked for (JSON array): the decision's audit entries go to their
 * trails. Every refusal is audited, by the decider, with why.
 */
const DECIDE = `
local approve, by, reason, now, nowMs = ARGV[4] == '1', ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8])
local hash, policiesSha1, ns = ARGV[9], ARGV[10], ARGV[11]
local verb = 'reject'
if approve then verb = 'approve' end
local function refuse(status, why)
  audit(entry(now, by, 'refused', '', '', why, ns), ns)
  return record(status)
end
if redis.call('EXISTS', reqKey) == 0 then return {'not-found'} end
local state = redis.call('HGET', reqKey, 'state')
if state ~= 'pending-approval' then
  return refuse('not-pending', verb .. ' refused: the request is already ' .. state)
end
if expireIfDue(now, nowMs) then
  return refuse('expired', verb .. ' refused: the request expired at ' .. redis.call('HGET', reqKey, 'expiresAt'))
end
if redis.call('HGET', reqKey, 'policyHash') ~= hash
  or redis.sha1hex(redis.call('HGET', reqKey, 'policies')) ~= policiesSha1 then
  return refuse('changed', verb .. ' refused: the stored policies are not the ones shown (hash mismatch)')
end
if approve and by == redis.call('HGET', reqKey, 'requester') then
  return refuse('self-approval', by .. ' tried to approve their own request')
end
local to = 'rejected'
if approve then to = 'approved' end
redis.call('HSET', reqKey, 'decidedBy', by, 'decidedAt', now)
if reason ~= '' then redis.call('HSET', reqKey, 'reason', reason) end
setState('pending-approval', to)
audit(entry(now, by, to, 'pending-approval', to, reason, ns), ns)
return record('ok')
`;

/** ARGV[4] = now, [5] = by, [6] = why, [7] = namespaces (JSON array). The state is unchanged. */
const REFUSE = `
if redis.call('EXISTS', reqKey) == 0 then return {'not-found'} end
audit(entry(ARGV[4], ARGV[5], 'refused', '', '', ARGV[6], ARGV[7]), ARGV[7])
return {'ok'}
`;

/**
 * ARGV[4] = from states (JSON array), [5] = to, [6] = actor, [7] = action, [8] = now, [9] = detail,
 * [10..] = field/value pairs. A final state is never left, even when listed in `from`.
 */
const TRANSITION = `
local from, to, actor, action, now, detail = cjson.decode(ARGV[4]), ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
if redis.call('EXISTS', reqKey) == 0 then return {'not-found'} end
local state = redis.call('HGET', reqKey, 'state')
local listed = false
for _, s in ipairs(from) do if s == state then listed = true end end
local final = state == 'applied' or state == 'rejected' or state == 'expired' or state == 'failed'
if not listed or (final and to ~= state) then return record('refused') end
for i = 10, #ARGV, 2 do redis.call('HSET', reqKey, ARGV[i], ARGV[i + 1]) end
setState(state, to)
audit(entry(now, actor, action, state, to, detail))
return record('ok')
`;

/** ARGV[4] = now, [5] = now ms. */
const EXPIRE = `
if redis.call('EXISTS', reqKey) == 0 then return {'not-found'} end
if redis.call('HGET', reqKey, 'state') ~= 'pending-approval' then return record('refused') end
if expireIfDue(ARGV[4], tonumber(ARGV[5])) then return record('ok') end
return record('refused')
`;

/** ARGV[4] = channel, [5] = ts. */
const SET_APPROVAL_MESSAGE = `
if redis.call('EXISTS', reqKey) == 0 then return {'not-found'} end
redis.call('HSET', reqKey, 'approvalChannel', ARGV[4], 'approvalTs', ARGV[5])
return {'ok'}
`;

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, body: string): LuaScript {
  const source = `${PRELUDE}\n${body}`;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

export const SCRIPTS = {
  create: script('create', CREATE),
  decide: script('decide', DECIDE),
  refuse: script('refuse', REFUSE),
  transition: script('transition', TRANSITION),
  expire: script('expire', EXPIRE),
  setApprovalMessage: script('setApprovalMessage', SET_APPROVAL_MESSAGE),
} as const;

/** The script's reply: its status and, when it sent one, the record as HGETALL pairs. */
export interface ScriptReply {
  status: string;
  fields?: Record<string, string>;
}

/**
 * EVALSHA, falling back to EVAL when Redis does not know the script (first use, or after a restart
 * or SCRIPT FLUSH); EVAL also caches it for the next call.
 */
export async function runScript(
  redis: Redis,
  lua: LuaScript,
  keys: string[],
  args: (string | number)[],
): Promise<ScriptReply> {
  let reply: unknown;
  try {
    reply = await redis.evalsha(lua.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    reply = await redis.eval(lua.source, keys.length, ...keys, ...args);
  }
  return parseReply(lua.name, reply);
}

function parseReply(name: string, reply: unknown): ScriptReply {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') {
    throw new Error(`script ${name} replied ${JSON.stringify(reply)}, not {status, fields}`);
  }
  const [status, flat] = reply as [string, unknown];
  if (flat === undefined) return { status };
  if (!Array.isArray(flat)) throw new Error(`script ${name} replied fields ${JSON.stringify(flat)}`);
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
  return { status, fields };
}
