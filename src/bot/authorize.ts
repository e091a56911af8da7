/**
 * Who may read, who may request and who may approve, by Slack user ID (never display names). Readers
 * (`show`, `explain`, `history`, `pending`, questions) are channels, users and groups, everyone by
 * default. Approvers are
 * configured per namespace (users and user groups) with a default; an approver must be allowed for
 * every namespace a request touches. Group membership is looked up through an injected function
 * (the bot caches Slack's usergroups.users.list briefly). Namespaces are looked up as own keys only:
 * a namespace named `constructor` or `toString` has a rule only if the config gives it one.
 */
import { NetpolError } from '../core/errors';
import { ownValue } from '../core/own-keys';
import type { ApproverRule, BotConfig } from '../platform/config/config';

export type GroupMembers = (groupId: string) => Promise<readonly string[]>;

export function mayRequest(config: Pick<BotConfig, 'requesters'>, user: string, channel: string): boolean {
  const { channels, users } = config.requesters;
  const channelOk = channels.length === 0 || channels.includes(channel);
  const userOk = users.length === 0 || users.includes(user);
  return channelOk && userOk;
}

/**
 * Whether `user` in `channel` may read the cluster: the channel is one of the readers' channels
 * (none listed: any), and the user is one of the readers' users or in one of their groups (neither
 * listed: anyone).
 */
export async function mayRead(
  config: Pick<BotConfig, 'readers'>,
  user: string,
  channel: string,
  groupMembers: GroupMembers,
): Promise<boolean> {
  const { channels, users, groups } = config.readers;
  if (channels.length > 0 && !channels.includes(channel)) return false;
  if (users.length === 0 && groups.length === 0) return true;
  return matches({ users, groups }, user, groupMembers);
}

/** Refuses (E_FORBIDDEN) a person who may not read the cluster where they asked. */
export async function requireReader(
  config: Pick<BotConfig, 'readers'>,
  groupMembers: GroupMembers,
  asked: { user: string; channel: string },
): Promise<void> {
  if (await mayRead(config, asked.user, asked.channel, groupMembers)) return;
  throw new NetpolError('E_FORBIDDEN', 'you may not read the cluster’s network policies here', {
    hint: 'ask in a channel netpol answers questions in, or ask an admin to add you to the config’s readers',
  });
}

export function approverRuleFor(config: Pick<BotConfig, 'approvers'>, namespace: string): ApproverRule {
  return ownValue(config.approvers.namespaces, namespace) ?? config.approvers.default;
}

async function matches(rule: ApproverRule, user: string, groupMembers: GroupMembers): Promise<boolean> {
  if (rule.users.includes(user)) return true;
  for (const group of rule.groups) {
    if ((await groupMembers(group)).includes(user)) return true;
  }
  return false;
}

/** The namespaces of `namespaces` that `user` may NOT approve (empty: allowed for all). */
export async function namespacesNotApprovable(
  config: Pick<BotConfig, 'approvers'>,
  namespaces: readonly string[],
  user: string,
  groupMembers: GroupMembers,
): Promise<string[]> {
  const refused: string[] = [];
  for (const namespace of namespaces) {
    if (!(await matches(approverRuleFor(config, namespace), user, groupMembers))) refused.push(namespace);
  }
  return refused;
}

/** Caches group membership for `ttlMs`, so a burst of clicks costs one Slack call per group. */
export function cachedGroupMembers(lookup: GroupMembers, ttlMs: number, now: () => number): GroupMembers {
  const cache = new Map<string, { at: number; members: readonly string[] }>();
  return async (groupId) => {
    const hit = cache.get(groupId);
    if (hit !== undefined && now() - hit.at < ttlMs) return hit.members;
    const members = await lookup(groupId);
    cache.set(groupId, { at: now(), members });
    return members;
  };
}
