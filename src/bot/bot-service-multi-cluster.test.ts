/**
 * Two clusters and no default (issue 11, multi-cluster rough edges): the commands that do not need a
 * cluster do not demand one (a request id already names its cluster; `pending` without one lists
 * every cluster), and an error's footer, hint and caret describe what the person typed. Over a real
 * Redis, through BotService, asserting what the person reads.
 */
import Redis from 'ioredis';
import pino from 'pino';
import { DraftStore } from '../adapters/redis/draft-store';
import { RequestStore } from '../adapters/redis/request-store';
import type { SlackMessage } from '../adapters/slack/render';
import { ACTION_IDS } from '../adapters/slack/render/action-ids';
import { newRequestId } from '../contracts/request-id';
import { DEFAULT_KEYWORD_OPTIONS } from '../core/policy/keywords';
import { parseState } from '../core/state/load-state';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import type { BotConfig } from '../platform/config/config';
import { readStatus } from '../adapters/redis/heartbeat-status';
import { BotService } from './bot-service';
import { shown } from '../../test/support/slack-shown';

const STATE = parseState(`
kind: List
items:
  - { kind: Namespace, metadata: { name: frontend } }
  - { kind: Namespace, metadata: { name: backend } }
  - kind: Pod
    metadata: { name: web-0, namespace: frontend, labels: { app: web } }
    status: { podIP: 10.1.0.5 }
  - kind: Pod
    metadata: { name: api-0, namespace: backend, labels: { app: api } }
    status: { podIP: 10.1.0.6 }
`);

const REQUESTER = 'UREQUESTER';
const APPROVER = 'UAPPROVER';

const CONFIG: BotConfig = {
  slack: { mode: 'http', botToken: 'xoxb-test', signingSecret: 'test-secret', port: 0, host: '127.0.0.1' },
  redisUrl: 'redis://unused',
  prefix: 'unused',
  clusters: ['prod', 'staging'],
  defaultCluster: '',
  approvalChannel: 'CAPPROVALS',
  approvers: { default: { users: [APPROVER], groups: [] }, namespaces: {} },
  requesters: { channels: [], users: [] },
  readers: { channels: [], users: [], groups: [] },
  requestTtlMs: 60 * 60 * 1000,
  labelKeys: ['app'],
  keywords: DEFAULT_KEYWORD_OPTIONS,
  logLevel: 'silent',
};

/** The context line (footer) of a reply. */
function footer(message: SlackMessage): string {
  const blocks = message.blocks as { type: string; elements?: { text?: string }[] }[];
  return blocks
    .filter((b) => b.type === 'context')
    .map((b) => (b.elements ?? []).map((e) => e.text ?? '').join(' '))
    .join('\n');
}

describe('BotService with two clusters and no default', () => {
  let redis: TestRedis;
  let client: Redis;
  let service: BotService;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });
  beforeEach(() => {
    const prefix = `mc-${Math.random().toString(36).slice(2)}`;
    service = new BotService({
      config: CONFIG,
      store: new RequestStore(client, { prefix }),
      drafts: new DraftStore(client, prefix),
      clusters: { read: async (cluster) => ({ cluster, state: STATE, updatedAt: '2030-01-01T00:00:00Z' }) },
      outbox: { send: async () => {} },
      queues: { enqueueApply: async () => {}, scheduleExpiry: async () => {} },
      groupMembers: async () => [],
      clock: () => new Date('2030-01-01T00:00:00Z'),
      newRequestId,
      log: pino({ level: 'silent' }),
      status: { read: () => readStatus({ redis: client, prefix, clusters: CONFIG.clusters }) },
    });
  });

  const command = async (text: string, user = REQUESTER): Promise<SlackMessage> => {
    const replies = await service.handleCommand({ user, channel: 'CNETPOL', text });
    expect(replies).toHaveLength(1);
    return replies[0] as SlackMessage;
  };

  /** Submits `text` (which names its cluster) and returns the request id. */
  async function submitted(text: string): Promise<string> {
    const preview = await command(text);
    const blocks = preview.blocks as { elements?: { action_id?: string; value?: string }[] }[];
    const draftId = blocks
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === ACTION_IDS.submit)?.value;
    if (draftId === undefined) throw new Error(`no Submit button in ${shown(preview)}`);
    await service.submit(REQUESTER, draftId);
    return draftId;
  }

  it('helps without @cluster', async () => {
    const reply = await command('help');
    expect(shown(reply)).not.toContain('E_USAGE');
    expect(shown(reply)).toContain('/netpol reject <request-id> <reason>');
    expect(footer(reply)).not.toContain('cluster');
  });

  it('lists the pending requests of every cluster without @cluster, each naming its cluster', async () => {
    const onProd = await submitted('@prod allow frontend web to backend api on 80');
    const onStaging = await submitted('@staging allow frontend web to backend api on 81');
    const reply = shown(await command('pending'));
    expect(reply).not.toContain('E_USAGE');
    expect(reply).toContain('all clusters');
    expect(reply).toMatch(new RegExp(`${onProd}\` · \\*prod\\*`));
    expect(reply).toMatch(new RegExp(`${onStaging}\` · \\*staging\\*`));
    // Naming one still narrows the list to it.
    const prodOnly = shown(await command('@prod pending'));
    expect(prodOnly).toContain(onProd);
    expect(prodOnly).not.toContain(onStaging);
  });

  it('shows the history of a request by its id without @cluster, on the request’s cluster', async () => {
    const id = await submitted('@staging allow frontend web to backend api on 82');
    const reply = await command(`history ${id}`);
    expect(shown(reply)).not.toContain('E_USAGE');
    expect(shown(reply)).toContain(`${id}\` submitted by <@${REQUESTER}>`);
    expect(footer(reply)).toContain('cluster *staging*');
  });

  it('rejects a request by its id without @cluster', async () => {
    const id = await submitted('@staging allow frontend web to backend api on 83');
    const reply = shown(await command(`reject ${id} because not now`, APPROVER));
    expect(reply).not.toContain('E_USAGE');
    expect(reply).toMatch(/rejected/i);
    expect(shown(await command(`history ${id}`))).toContain('not now');
  });

  it('reports the status of every cluster without @cluster, and of one with it', async () => {
    const all = shown(await command('status'));
    expect(all).not.toContain('E_USAGE');
    expect(all).toContain('*prod*: no snapshot');
    expect(all).toContain('*staging*: no snapshot');
    const prod = shown(await command('@prod status'));
    expect(prod).toContain('*prod*');
    expect(prod).not.toContain('*staging*');
  });

  it('still asks for a cluster where one is needed, with an example of the command typed', async () => {
    const reply = await command('show backend');
    expect(shown(reply)).toContain('several clusters are configured (prod, staging)');
    expect(shown(reply)).toContain('e.g. /netpol @prod show backend');
    expect(shown(reply)).not.toContain('allow frontend nginx');
    // No cluster was chosen: the footer names none (it used to read `cluster **`).
    expect(footer(reply)).not.toContain('cluster');
    expect(footer(reply)).toContain(`<@${REQUESTER}>`);
  });

  it('does not present an unknown @cluster as the current cluster', async () => {
    const reply = await command('@nosuch show backend');
    expect(shown(reply)).toContain('no cluster "nosuch" is configured');
    expect(footer(reply)).not.toContain('nosuch');
  });

  it('puts the caret under the column it names, counting from the start of what was typed', async () => {
    const reply = await command('@prod alow frontend web to backend');
    const text = shown(reply);
    // `alow` starts at column 7 of `@prod alow ...`.
    expect(text).toContain('(column 7)');
    expect(text).toContain('@prod alow frontend web to backend\n      ^');
  });
});
