import type { ApproverRule, BotConfig } from '../platform/config/config';
import { approverRuleFor, cachedGroupMembers, mayRequest, namespacesNotApprovable } from './authorize';

const rule = (users: string[], groups: string[] = []): ApproverRule => ({ users, groups });

const APPROVERS: Pick<BotConfig, 'approvers'> = {
  approvers: {
    default: rule(['UDEFAULT1'], ['SPLATFORM']),
    namespaces: { payments: rule(['UPAYLEAD'], ['SPAYTEAM']) },
  },
};

const GROUPS = new Map<string, readonly string[]>([
  ['SPLATFORM', ['UPLATFORM1']],
  ['SPAYTEAM', ['UPAYDEV1', 'UPAYDEV2']],
]);
const groupMembers = async (group: string) => GROUPS.get(group) ?? [];

describe('mayRequest', () => {
  it('lets anyone request anywhere when no channels or users are configured', () => {
    expect(mayRequest({ requesters: { channels: [], users: [] } }, 'UANYONE', 'CANYWHERE')).toBe(true);
  });

  it('requires the channel and the user when both are configured', () => {
    const config = { requesters: { channels: ['CNETPOL'], users: ['UALLOWED'] } };
    expect(mayRequest(config, 'UALLOWED', 'CNETPOL')).toBe(true);
    expect(mayRequest(config, 'UALLOWED', 'COTHER')).toBe(false);
    expect(mayRequest(config, 'UOTHER', 'CNETPOL')).toBe(false);
  });
});

describe('approvers', () => {
  it('takes a namespace’s own rule, else the default', () => {
    expect(approverRuleFor(APPROVERS, 'payments')).toEqual(rule(['UPAYLEAD'], ['SPAYTEAM']));
    expect(approverRuleFor(APPROVERS, 'backend')).toEqual(rule(['UDEFAULT1'], ['SPLATFORM']));
  });

  it('accepts a listed user or a member of a listed group', async () => {
    expect(await namespacesNotApprovable(APPROVERS, ['payments'], 'UPAYLEAD', groupMembers)).toEqual([]);
    expect(await namespacesNotApprovable(APPROVERS, ['payments'], 'UPAYDEV2', groupMembers)).toEqual([]);
    expect(await namespacesNotApprovable(APPROVERS, ['backend'], 'UPLATFORM1', groupMembers)).toEqual([]);
  });

  it('does not fall back to the default for a namespace with its own rule', async () => {
    expect(await namespacesNotApprovable(APPROVERS, ['payments'], 'UDEFAULT1', groupMembers)).toEqual([
      'payments',
    ]);
    expect(await namespacesNotApprovable(APPROVERS, ['payments'], 'UPLATFORM1', groupMembers)).toEqual([
      'payments',
    ]);
  });

  it('requires an approver of every namespace a request touches, naming those refused', async () => {
    const touched = ['backend', 'payments', 'frontend'];
    expect(await namespacesNotApprovable(APPROVERS, touched, 'UDEFAULT1', groupMembers)).toEqual([
      'payments',
    ]);
    expect(await namespacesNotApprovable(APPROVERS, touched, 'UPAYLEAD', groupMembers)).toEqual([
      'backend',
      'frontend',
    ]);
    expect(await namespacesNotApprovable(APPROVERS, touched, 'USTRANGER', groupMembers)).toEqual(touched);
  });
});

describe('cachedGroupMembers', () => {
  it('asks Slack once per group within the TTL, and again after it', async () => {
    let now = 0;
    const asked: string[] = [];
    const cached = cachedGroupMembers(
      async (group) => {
        asked.push(group);
        return GROUPS.get(group) ?? [];
      },
      1000,
      () => now,
    );
    expect(await cached('SPAYTEAM')).toEqual(['UPAYDEV1', 'UPAYDEV2']);
    expect(await cached('SPAYTEAM')).toEqual(['UPAYDEV1', 'UPAYDEV2']);
    expect(await cached('SPLATFORM')).toEqual(['UPLATFORM1']);
    now = 1000;
    await cached('SPAYTEAM');
    expect(asked).toEqual(['SPAYTEAM', 'SPLATFORM', 'SPAYTEAM']);
  });
});
