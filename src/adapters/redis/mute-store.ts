/**
 * Muted drop alerts (issue 10): `/netpol mute backend 1h` silences every alert with an end in
 * namespace backend; `/netpol mute frontend/nginx -> backend 1d` silences one direction of flows,
 * each end a namespace or a namespace/workload. Mutes are kept per cluster in one Redis sorted set
 * (member: the canonical target, score: when it ends), so they expire on their own and every alert
 * worker sees the same ones. A muted group is still counted; only its messages are held back.
 */
import type Redis from 'ioredis';
import { NetpolError } from '../../core/errors';
import { dns1123LabelProblem } from '../../core/k8s/names';
import type { AlertGroup, AlertPeer } from './alert-store';

/** A namespace, or one workload of it. */
export interface MuteEnd {
  namespace: string;
  workload?: string;
}

export type MuteTarget = { kind: 'namespace'; end: MuteEnd } | { kind: 'flow'; from: MuteEnd; to: MuteEnd };

export interface Mute {
  target: MuteTarget;
  /** Epoch ms. */
  until: number;
}

const MAX_MUTE_MS = 30 * 86_400_000;
const DURATION = /^(\d+)(m|min|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const MUTE_EXAMPLES = 'e.g. /netpol mute backend 1h, /netpol mute frontend/nginx -> backend 1d';

function endText(end: MuteEnd): string {
  return end.workload === undefined ? end.namespace : `${end.namespace}/${end.workload}`;
}

/** `backend`, `backend/api`, `frontend/nginx -> backend`: the form help shows and mutes are stored by. */
export function muteTargetText(target: MuteTarget): string {
  return target.kind === 'namespace'
    ? endText(target.end)
    : `${endText(target.from)} -> ${endText(target.to)}`;
}

function parseEnd(word: string, usage: string): MuteEnd {
  const [namespace = '', workload, ...extra] = word.split('/');
  const problem = dns1123LabelProblem(namespace);
  if (problem !== undefined || extra.length > 0 || workload === '') {
    throw new NetpolError('E_USAGE', `"${word}" is not a namespace or namespace/workload`, { hint: usage });
  }
  return workload === undefined ? { namespace } : { namespace, workload };
}

/** The target of mute or unmute: `ns`, `ns/workload`, or `A -> B` (also `A to B`). */
export function parseMuteTarget(text: string, usage: string = MUTE_EXAMPLES): MuteTarget {
  const normalised = text.replace(/&gt;/g, '>').replace(/→/g, '->').trim();
  const sides = normalised.split(/\s*->\s*|\s+to\s+/);
  if (normalised === '' || sides.some((s) => s === '' || /\s/.test(s)) || sides.length > 2) {
    throw new NetpolError(
      'E_USAGE',
      normalised === '' ? 'say what to mute' : `"${text.trim()}" is not something to mute`,
      { hint: usage },
    );
  }
  if (sides.length === 1) return { kind: 'namespace', end: parseEnd(sides[0]!, usage) };
  return { kind: 'flow', from: parseEnd(sides[0]!, usage), to: parseEnd(sides[1]!, usage) };
}

/** `/netpol mute <target> <duration>`: the duration is the last word (30m, 1h, 1d, 1w; at most 30 days). */
export function parseMuteCommand(text: string): { target: MuteTarget; durationMs: number } {
  const words = text.trim().split(/\s+/);
  const last = words.at(-1) ?? '';
  const match = DURATION.exec(last.toLowerCase());
  if (match === null || words.length < 2) {
    throw new NetpolError(
      'E_USAGE',
      last === '' ? 'mute needs a target and a duration' : 'mute needs a duration last',
      {
        hint: MUTE_EXAMPLES,
      },
    );
  }
  const durationMs = Number(match[1]) * UNIT_MS[match[2]!]!;
  if (durationMs <= 0 || durationMs > MAX_MUTE_MS) {
    throw new NetpolError('E_INVALID_VALUE', `"${last}" is not a duration from 1m to 30d`, {
      hint: MUTE_EXAMPLES,
    });
  }
  return { target: parseMuteTarget(words.slice(0, -1).join(' ')), durationMs };
}

function endMatches(end: MuteEnd, peer: AlertPeer): boolean {
  return (
    peer.kind === 'workload' &&
    peer.namespace === end.namespace &&
    (end.workload === undefined || end.workload === peer.name)
  );
}

export function muteMatches(target: MuteTarget, group: AlertGroup): boolean {
  if (target.kind === 'namespace')
    return endMatches(target.end, group.source) || endMatches(target.end, group.destination);
  return endMatches(target.from, group.source) && endMatches(target.to, group.destination);
}

export class MuteStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(cluster: string): string {
    return `${this.prefix}:alerts:${cluster}:mutes`;
  }

  /** Mutes (or re-mutes, for the new duration) a target; returns when it ends. */
  async mute(cluster: string, target: MuteTarget, durationMs: number, nowMs: number): Promise<number> {
    const until = nowMs + durationMs;
    await this.redis.zadd(this.key(cluster), String(until), muteTargetText(target));
    return until;
  }

  /** False when the target was not muted. */
  async unmute(cluster: string, target: MuteTarget, nowMs: number): Promise<boolean> {
    const text = muteTargetText(target);
    const until = await this.redis.zscore(this.key(cluster), text);
    await this.redis.zrem(this.key(cluster), text);
    return until !== null && Number(until) > nowMs;
  }

  /** The mutes in force at `nowMs` (expired ones are removed on the way). */
  async active(cluster: string, nowMs: number): Promise<Mute[]> {
    const key = this.key(cluster);
    await this.redis.zremrangebyscore(key, '-inf', String(nowMs));
    const flat = await this.redis.zrange(key, 0, -1, 'WITHSCORES');
    const mutes: Mute[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      mutes.push({ target: parseMuteTarget(flat[i]!), until: Number(flat[i + 1]) });
    }
    return mutes;
  }
}
