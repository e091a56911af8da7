/**
 * The bot without Slack: commands and clicks through BotService over a real Redis (request and draft
 * stores), a cluster snapshot handed in through the injected reader, and recording queues and
 * outbox. Every assertion is on what the person would see (the replies' text and blocks).
 */
import Redis from 'ioredis';
import pino from 'pino';
import { DraftStore } from '../adapters/redis/draft-store';
import { RequestStore } from '../adapters/redis/request-store';
import type { SlackMessage } from '../adapters/slack/render';
import { ACTION_IDS, parseDecisionButtonValue } from '../adapters/slack/render/action-ids';
import { policyHash } from '../contracts/policy-hash';
import { newRequestId } from '../contracts/request-id';
import type { NetworkPolicy } from '../core/k8s/types';
import type { ApplyJob, SlackOutboundJob } from '../contracts/queues';
import { DEFAULT_KEYWORD_OPTIONS } from '../core/policy/keywords';
import { parseState } from '../core/state/load-state';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import type { BotConfig } from '../platform/config/config';
import type { BotDeps } from './bot-deps';
import { BotService } from './bot-service';
import { shown } from '../../test/support/slack-shown';

/**
 * frontend/web-0 (labelled only `component: web`) may reach backend/api-0: backend's policy admits
 * frontend. payments/ledger-0 is isolated for ingress and admits nobody.
 */
const STATE = parseState(`
kind: List
items:
  - { kind: Namespace, metadata: { name: frontend } }
  - { kind: Namespace, metadata: { name: backend } }
  - { kind: Namespace, metadata: { name: payments } }
  - kind: Pod
    metadata: { name: web-0, namespace: frontend, labels: { component: web } }
    status: { podIP: 10.1.0.5 }
  - kind: Pod
    metadata: { name: api-0, namespace: backend, labels: { app: api } }
    status: { podIP: 10.1.0.6 }
  - kind: Pod
    metadata: { name: ledger-0, namespace: payments, labels: { app: ledger } }
    status: { podIP: 10.1.0.7 }
  - kind: NetworkPolicy
    apiVersion: networking.k8s.io/v1
    metadata: { name: api-from-frontend, namespace: backend }
    spec:
      podSelector: { matchLabels: { app: api } }
      policyTypes: [Ingress]
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: frontend } } }] }]
  - kind: NetworkPolicy
    apiVersion: networking.k8s.io/v1
    metadata: { name: ledger-closed, namespace: payments }
    spec: { podSelector: {}, policyTypes: [Ingress] }
`);

const REQUESTER = 'UREQUESTER';
const APPROVER = 'UAPPROVER';
const PAY_LEAD = 'UPAYLEAD';
const PAY_DEV = 'UPAYDEV';

const CONFIG: BotConfig = {
  slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: 'test-secret', port: 0, host: '127.0.0.1' },
  redisUrl: 'redis://unused',
  prefix: 'unused',
  clusters: ['prod'],
  defaultCluster: 'prod',
  approvalChannel: 'CAPPROVALS',
  approvers: {
    // The requester is an approver too: the store, not the rule, stops self-approval.
    default: { users: [APPROVER, REQUESTER], groups: [] },
    namespaces: { payments: { users: [PAY_LEAD], groups: ['SPAYTEAM'] } },
  },
  requesters: { channels: ['CNETPOL'], users: [] },
  readers: { channels: [], users: [], groups: [] },
  requestTtlMs: 60 * 60 * 1000,
  labelKeys: ['component', 'app'],
  keywords: DEFAULT_KEYWORD_OPTIONS,
  logLevel: 'silent',
};

/** The value of the preview's Submit button (the draft id). */
function submitButtonValue(message: SlackMessage): string {
  const buttons = (message.blocks as { elements?: { action_id?: string; value?: string }[] }[]).flatMap(
    (block) => block.elements ?? [],
  );
  const submit = buttons.find((button) => button.action_id === ACTION_IDS.submit);
  if (submit?.value === undefined) throw new Error(`no Submit button in ${shown(message)}`);
  return submit.value;
}

/** The Approve button of the approval card posted for `requestId`: what an approver's click carries. */
function approveButton(
  posted: SlackOutboundJob[],
  requestId: string,
): { requestId: string; policyHash?: string } {
  const card = posted.find((job) => job.kind === 'post' && job.recordApprovalFor === requestId);
  const blocks = (card?.kind === 'post' ? card.blocks : []) as {
    elements?: { action_id?: string; value?: string }[];
  }[];
  const approve = (blocks ?? [])
    .flatMap((block) => block.elements ?? [])
    .find((button) => button.action_id === ACTION_IDS.approve);
  if (approve?.value === undefined) throw new Error(`no Approve button on the card of ${requestId}`);
  return parseDecisionButtonValue(approve.value);
}

describe('BotService', () => {
  let redis: TestRedis;
  let client: Redis;
  let service: BotService;
  let applied: ApplyJob[];
  let posted: SlackOutboundJob[];
  let snapshot: typeof STATE | undefined;
  let prefix: string;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });
  beforeEach(() => {
    prefix = `t-${Math.random().toString(36).slice(2)}`;
    applied = [];
    posted = [];
    snapshot = STATE;
    const deps: BotDeps = {
      config: CONFIG,
      store: new RequestStore(client, { prefix }),
      drafts: new DraftStore(client, prefix),
      clusters: {
        read: async (cluster) =>
          snapshot === undefined
            ? undefined
            : { cluster, state: snapshot, updatedAt: '2030-01-01T00:00:00Z' },
      },
      outbox: {
        send: async (job) => {
          posted.push(job);
        },
      },
      queues: {
        enqueueApply: async (job) => {
          applied.push(job);
        },
        scheduleExpiry: async () => {},
      },
      groupMembers: async (group) => (group === 'SPAYTEAM' ? [PAY_DEV] : []),
      clock: () => new Date('2030-01-01T00:00:00Z'),
      newRequestId,
      log: pino({ level: 'silent' }),
    };
    service = new BotService(deps);
  });

  const command = async (text: string, user = REQUESTER): Promise<SlackMessage> => {
    const replies = await service.handleCommand({ user, channel: 'CNETPOL', text });
    expect(replies).toHaveLength(1);
    return replies[0] as SlackMessage;
  };

  describe('/netpol can ...', () => {
    it('says yes for a reachable pair, naming the policy that allows it', async () => {
      const reply = shown(await command('can frontend/pod/web-0 reach backend/pod/api-0 on 80'));
      expect(reply).toContain('frontend/web-0 -> backend/api-0 on TCP/80: ALLOWED');
      expect(reply).toContain('backend/api-from-frontend');
      expect(reply).not.toContain('DENIED');
    });

    it('says no for an isolated pair, naming the policy that isolates it', async () => {
      const reply = shown(await command('can frontend/pod/web-0 reach payments/pod/ledger-0 on 80'));
      expect(reply).toContain('frontend/web-0 -> payments/ledger-0 on TCP/80: DENIED');
      expect(reply).toContain('payments/ledger-closed');
      expect(reply).not.toContain('ALLOWED');
    });

    it('reads bare words with the configured label keys', async () => {
      const reply = shown(await command('can frontend web reach backend api on 80'));
      expect(reply).toContain('can frontend/component=web reach backend/app=api');
      expect(reply).toContain('ALLOWED');
    });

    it('refuses to answer before a worker has reported the cluster', async () => {
      snapshot = undefined;
      const reply = shown(await command('can frontend/pod/web-0 reach backend/pod/api-0 on 80'));
      expect(reply).toContain('no worker of cluster prod has reported');
    });
  });

  describe('help', () => {
    it('shows the bot’s commands above the request language', async () => {
      const reply = shown(await command('help'));
      expect(reply).toContain('/netpol reject <request-id> <reason>    reject with a reason');
      expect(reply.indexOf('Commands:')).toBeLessThan(reply.indexOf('/netpol can A reach B on P'));
    });

    it('reads an unknown word as a request of the language and says what it did not understand', async () => {
      const reply = shown(await command('frobnicate the mesh'));
      expect(reply).toContain('E_SYNTAX');
    });
  });

  describe('authorisation', () => {
    /** Preview (as the requester, in the requests channel) and Submit; returns the request id. */
    async function submitted(text: string): Promise<string> {
      const preview = await command(text);
      const draftId = submitButtonValue(preview);
      const reply = shown(await service.submit(REQUESTER, draftId));
      expect(reply).toContain('<#CAPPROVALS>');
      return draftId;
    }

    it('refuses requests from a channel that may not request', async () => {
      const replies = await service.handleCommand({
        user: REQUESTER,
        channel: 'CELSEWHERE',
        text: 'deny ingress in backend',
      });
      expect(shown(replies[0])).toContain('you may not request policy changes here');
    });

    it('previews with the configured label keys, and a default approver approves', async () => {
      const preview = shown(await command('allow frontend web to backend api on 80'));
      expect(preview).toContain('component: web');
      const id = await submitted('allow frontend web to backend api on 80');
      expect(
        await service.decide({ user: APPROVER, ...approveButton(posted, id), approve: true }),
      ).toBeUndefined();
      expect(applied.map((job) => job.requestId)).toEqual([id]);
    });

    it('refuses the requester approving their own request, though they are an approver', async () => {
      const id = await submitted('deny ingress in backend');
      const refusal = await service.decide({ user: REQUESTER, ...approveButton(posted, id), approve: true });
      expect(shown(refusal)).toContain('you cannot approve your own request');
      expect(applied).toEqual([]);
    });

    it('takes a namespace’s approvers (users and group members) over the default', async () => {
      const id = await submitted('deny ingress in payments');
      const byDefaultApprover = await service.decide({
        user: APPROVER,
        ...approveButton(posted, id),
        approve: true,
      });
      expect(shown(byDefaultApprover)).toContain('you are not an approver for `payments`');
      expect(applied).toEqual([]);
      expect(
        await service.decide({ user: PAY_DEV, ...approveButton(posted, id), approve: true }),
      ).toBeUndefined();
      expect(applied.map((job) => job.requestId)).toEqual([id]);
    });

    it('refuses an approval whose card showed other policies than the stored ones, and audits it', async () => {
      const id = await submitted('deny ingress in backend');
      const click = approveButton(posted, id);
      // Someone able to write Redis widens the stored policy, hash included, after the card was posted.
      const key = `${prefix}:req:${id}`;
      const policies = JSON.parse((await client.hget(key, 'policies')) as string) as NetworkPolicy[];
      const widened = policies.map((p) => ({ ...p, spec: { ...p.spec, ingress: [{}] } }));
      await client.hset(key, 'policies', JSON.stringify(widened), 'policyHash', policyHash(widened));

      const refusal = shown(await service.decide({ user: APPROVER, ...click, approve: true }));
      expect(refusal).toContain('are not the ones its card showed');
      expect(refusal).toContain('nothing was approved');
      expect(applied).toEqual([]);
      const history = shown(await command('history backend', APPROVER));
      expect(history).toContain(`${id}\` refused for <@${APPROVER}>`);
      expect(history).toContain(
        'approve refused: the stored policies are not the ones shown (hash mismatch)',
      );
      // A click without the hash (a card from before the binding) is refused too.
      const bare = shown(await service.decide({ user: APPROVER, requestId: id, approve: true }));
      expect(bare).toContain('does not say which policies it approves');
      expect(applied).toEqual([]);
    });

    it('checks the approvers of the policies’ own namespaces, not the stored namespaces field', async () => {
      const id = await submitted('deny ingress in payments');
      // The stored field is rewritten so that a default approver would seem enough.
      await client.hset(`${prefix}:req:${id}`, 'namespaces', JSON.stringify(['backend']));
      const refusal = shown(
        await service.decide({ user: APPROVER, ...approveButton(posted, id), approve: true }),
      );
      expect(refusal).toContain('you are not an approver for `payments`');
      expect(applied).toEqual([]);
      const history = shown(await command('history payments', PAY_LEAD));
      expect(history).toContain('approve refused: not an approver for payments');
      expect(
        await service.decide({ user: PAY_LEAD, ...approveButton(posted, id), approve: true }),
      ).toBeUndefined();
      expect(applied.map((job) => job.requestId)).toEqual([id]);
    });

    it('puts a non-approver’s click and a self-approval on the audit trail: who, when, why', async () => {
      const id = await submitted('deny ingress in payments');
      await service.decide({ user: APPROVER, ...approveButton(posted, id), approve: true });
      await service.decide({ user: APPROVER, requestId: id, approve: false });
      const own = await submitted('deny ingress in backend');
      await service.decide({ user: REQUESTER, ...approveButton(posted, own), approve: true });
      await service.decide({ user: APPROVER, ...approveButton(posted, own), approve: true });
      // A second click, after the decision.
      await service.decide({ user: APPROVER, ...approveButton(posted, own), approve: true });

      const payments = shown(await command('history payments', PAY_LEAD));
      expect(payments).toContain(
        `${id}\` refused for <@${APPROVER}>: approve refused: not an approver for payments`,
      );
      expect(payments).toContain(
        `${id}\` refused for <@${APPROVER}>: reject refused: not an approver for payments`,
      );
      expect(payments).toContain('2030-01-01 00:00');
      const backend = shown(await command('history backend', PAY_LEAD));
      expect(backend).toContain(
        `${own}\` refused for <@${REQUESTER}>: ${REQUESTER} tried to approve their own request`,
      );
      expect(backend).toContain(
        `${own}\` refused for <@${APPROVER}>: approve refused: the request is already approved`,
      );
      expect(applied.map((job) => job.requestId)).toEqual([own]);
    });

    it('records a typed rejection with its reason', async () => {
      const id = await submitted('deny ingress in backend');
      const reply = shown(await command(`reject ${id} because it cuts the monitoring`, APPROVER));
      expect(reply).toContain('it cuts the monitoring');
      expect(applied).toEqual([]);
    });
  });
});
