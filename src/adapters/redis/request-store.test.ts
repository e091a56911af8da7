import Redis from 'ioredis';
import { freePort, startRedis, type TestRedis } from '../../devtools/redis/redis-server';
import type { NetworkPolicy } from '../../core/k8s/types';
import { policyHash } from '../../contracts/policy-hash';
import { newRequestId } from '../../contracts/request-id';
import type { AuditEntry, RequestRecord } from '../../contracts/request-record';
import { RequestStore, RequestStoreError } from './request-store';
import { SCRIPTS } from './request-store.lua';
import { decidedContentOf } from './request-store-api';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
/** The injected clock: T0 plus some minutes, as ISO-8601. */
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const uniquePrefix = () => `t-${Math.random().toString(36).slice(2)}`;

function policy(namespace: string, name: string): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'netpol' } },
    spec: {
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }],
    },
  };
}

function request(overrides: Partial<RequestRecord> = {}): RequestRecord {
  const namespaces = overrides.namespaces ?? ['shop'];
  const policies = namespaces.map((ns) => policy(ns, 'allow-web-to-db'));
  return {
    id: newRequestId(),
    cluster: 'prod',
    action: 'apply',
    text: 'allow web to db on 5432',
    command: 'allow shop/web -> shop/db tcp/5432',
    requester: 'U_REQUESTER',
    requestChannel: 'C_REQUESTS',
    namespaces,
    policies,
    policyHash: policyHash(policies),
    effect: 'db in shop becomes isolated for ingress; only web may reach it on 5432.',
    warnings: [],
    state: 'pending-approval',
    createdAt: at(0),
    expiresAt: at(60),
    ...overrides,
  };
}

describe('RequestStore', () => {
  let redis: TestRedis;
  let client: Redis;
  let prefix: string;
  let store: RequestStore;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });
  beforeEach(() => {
    prefix = uniquePrefix();
    store = new RequestStore(client, { prefix });
  });

  describe('create and get', () => {
    it('round-trip every field of a record', async () => {
      const record = request({
        action: 'revoke',
        namespaces: ['shop', 'payments'],
        warnings: ['warning W001_NEW_ISOLATION: db becomes isolated', 'warning W002: "quoted" \\ ünïcode'],
        approvalChannel: 'C_APPROVALS',
        approvalTs: '1712345678.000100',
        decidedBy: 'U_SOMEONE',
        decidedAt: at(1),
        reason: 'because: reasons',
        appliedAt: at(2),
        attempts: 3,
      });
      await store.create(record);
      expect(await store.get(record.id)).toStrictEqual(record);
    });

    it('round-trip the rendered YAML as its exact text', async () => {
      const record = request();
      const yaml = '# a comment: "quoted" \\ ünïcode\napiVersion: networking.k8s.io/v1\n---\nkind: X\n\n';
      await store.create({ ...record, yaml });
      expect(await store.get(record.id)).toStrictEqual({ ...record, yaml });
    });

    it('read a record stored before the YAML was kept, without a yaml field', async () => {
      const record = request();
      await store.create({ ...record, yaml: 'kind: NetworkPolicy\n' });
      await client.hdel(`${prefix}:req:${record.id}`, 'yaml');
      const stored = await store.get(record.id);
      expect(stored).toStrictEqual(record);
      expect(Object.keys(stored!)).not.toContain('yaml');
    });

    it('omit absent optional fields', async () => {
      const record = request();
      await store.create(record);
      const stored = await store.get(record.id);
      expect(stored).toStrictEqual(record);
      expect(Object.keys(stored!)).not.toContain('attempts');
    });

    it('audit the submission by the requester', async () => {
      const record = request();
      await store.create(record);
      expect(await store.audit(record.id)).toStrictEqual([
        {
          requestId: record.id,
          cluster: 'prod',
          at: at(0),
          actor: 'U_REQUESTER',
          action: 'submitted',
          to: 'pending-approval',
          namespaces: ['shop'],
        },
      ]);
    });

    it('refuse an id that exists, leaving the first record as it was', async () => {
      const record = request();
      await store.create(record);
      const again = store.create({ ...record, text: 'something else' });
      await expect(again).rejects.toBeInstanceOf(RequestStoreError);
      await expect(again).rejects.toMatchObject({ code: 'E_EXISTS', requestId: record.id });
      expect(await store.get(record.id)).toStrictEqual(record);
      expect(await store.audit(record.id)).toHaveLength(1);
    });

    it('refuse a record that is not pending, an unsafe id or a bad time', async () => {
      await expect(store.create(request({ state: 'approved' }))).rejects.toMatchObject({ code: 'E_INVALID' });
      await expect(store.create(request({ id: 'r-1:x' }))).rejects.toMatchObject({ code: 'E_INVALID' });
      await expect(store.create(request({ expiresAt: 'tomorrow' }))).rejects.toMatchObject({
        code: 'E_INVALID',
      });
    });

    it('find nothing for unknown or forged ids', async () => {
      expect(await store.get(newRequestId())).toBeUndefined();
      expect(await store.get('x:*')).toBeUndefined();
      expect(await store.audit('x:*')).toStrictEqual([]);
    });

    it('keep every key under the prefix, in the documented layout', async () => {
      const record = request({ namespaces: ['shop', 'payments'] });
      await store.create(record);
      await store.decide(record.id, {
        content: decidedContentOf(record),
        approve: true,
        by: 'U_APPROVER',
        now: at(1),
      });
      const keys = await client.keys(`${prefix}:*`);
      expect(keys.sort()).toStrictEqual(
        [
          `${prefix}:audit:ns:prod:payments`,
          `${prefix}:audit:ns:prod:shop`,
          `${prefix}:audit:req:${record.id}`,
          `${prefix}:req:${record.id}`,
          `${prefix}:state:approved`,
        ].sort(),
      );
      expect(await client.zscore(`${prefix}:state:approved`, record.id)).toBe(String(T0));
    });
  });

  describe('decide', () => {
    it('approves a pending request', async () => {
      const record = request();
      await store.create(record);
      const result = await store.decide(record.id, {
        content: decidedContentOf(record),
        approve: true,
        by: 'U_APPROVER',
        now: at(5),
      });
      const approved = { ...record, state: 'approved', decidedBy: 'U_APPROVER', decidedAt: at(5) };
      expect(result).toStrictEqual({ ok: true, record: approved });
      expect(await store.get(record.id)).toStrictEqual(approved);
      expect((await store.audit(record.id))[1]).toStrictEqual({
        requestId: record.id,
        cluster: 'prod',
        at: at(5),
        actor: 'U_APPROVER',
        action: 'approved',
        from: 'pending-approval',
        to: 'approved',
        namespaces: ['shop'],
      });
    });

    it('rejects with a reason', async () => {
      const record = request();
      await store.create(record);
      const result = await store.decide(record.id, {
        content: decidedContentOf(record),
        approve: false,
        by: 'U_APPROVER',
        reason: 'too broad — "all" of 10.0.0.0/8',
        now: at(5),
      });
      expect(result).toMatchObject({
        ok: true,
        record: {
          state: 'rejected',
          decidedBy: 'U_APPROVER',
          decidedAt: at(5),
          reason: 'too broad — "all" of 10.0.0.0/8',
        },
      });
      expect((await store.audit(record.id))[1]).toMatchObject({
        action: 'rejected',
        from: 'pending-approval',
        to: 'rejected',
        detail: 'too broad — "all" of 10.0.0.0/8',
      });
      expect(await store.listByState(['pending-approval'])).toStrictEqual([]);
    });

    it('lets exactly one of 20 concurrent approvers win, over several connections', async () => {
      const record = request();
      await store.create(record);
      const clients = Array.from({ length: 4 }, () => new Redis(redis.url, { maxRetriesPerRequest: null }));
      try {
        const stores = clients.map((c) => new RequestStore(c, { prefix }));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            stores[i % stores.length]!.decide(record.id, {
              content: decidedContentOf(record),
              approve: true,
              by: `U_APPROVER_${i}`,
              now: at(5),
            }),
          ),
        );
        const winners = results.filter((r) => r.ok);
        expect(winners).toHaveLength(1);
        const winner = winners[0]!.record!.decidedBy;
        for (const loser of results.filter((r) => !r.ok)) {
          expect(loser).toMatchObject({ ok: false, refusal: 'not-pending', record: { state: 'approved' } });
          expect(loser.record?.decidedBy).toBe(winner);
        }
        const approvals = (await store.audit(record.id)).filter((e) => e.action === 'approved');
        expect(approvals).toHaveLength(1);
        expect(approvals[0]!.actor).toBe(winner);
      } finally {
        for (const c of clients) c.disconnect();
      }
    });

    it('refuses self-approval, audits it and leaves the request pending', async () => {
      const record = request();
      await store.create(record);
      const result = await store.decide(record.id, {
        content: decidedContentOf(record),
        approve: true,
        by: 'U_REQUESTER',
        now: at(5),
      });
      expect(result).toStrictEqual({ ok: false, refusal: 'self-approval', record });
      expect(await store.get(record.id)).toStrictEqual(record);
      const trail = await store.audit(record.id);
      expect(trail.map((e) => e.action)).toStrictEqual(['submitted', 'refused']);
      expect(trail[1]).toStrictEqual({
        requestId: record.id,
        cluster: 'prod',
        at: at(5),
        actor: 'U_REQUESTER',
        action: 'refused',
        namespaces: ['shop'],
        detail: 'U_REQUESTER tried to approve their own request',
      });
      expect(
        await store.decide(record.id, {
          content: decidedContentOf(record),
          approve: true,
          by: 'U_APPROVER',
          now: at(6),
        }),
      ).toMatchObject({
        ok: true,
      });
    });

    it('lets the requester withdraw (reject) their own request', async () => {
      const record = request();
      await store.create(record);
      const result = await store.decide(record.id, {
        content: decidedContentOf(record),
        approve: false,
        by: 'U_REQUESTER',
        now: at(5),
      });
      expect(result).toMatchObject({ ok: true, record: { state: 'rejected', decidedBy: 'U_REQUESTER' } });
    });

    it('marks a request expired when decided at or after expiresAt', async () => {
      const record = request({ expiresAt: at(60) });
      await store.create(record);
      const result = await store.decide(record.id, {
        content: decidedContentOf(record),
        approve: true,
        by: 'U_APPROVER',
        now: at(60),
      });
      expect(result).toStrictEqual({
        ok: false,
        refusal: 'expired',
        record: { ...record, state: 'expired' },
      });
      expect((await store.get(record.id))?.state).toBe('expired');
      expect((await store.audit(record.id))[1]).toStrictEqual({
        requestId: record.id,
        cluster: 'prod',
        at: at(60),
        actor: 'system',
        action: 'expired',
        from: 'pending-approval',
        to: 'expired',
        namespaces: ['shop'],
      });
      expect(await store.listByState(['expired'])).toStrictEqual([{ ...record, state: 'expired' }]);
      // From then on it is simply not pending.
      expect(
        await store.decide(record.id, {
          content: decidedContentOf(record),
          approve: true,
          by: 'U_APPROVER',
          now: at(61),
        }),
      ).toMatchObject({
        ok: false,
        refusal: 'not-pending',
        record: { state: 'expired' },
      });
    });

    it('refuses unknown and forged ids', async () => {
      const decision = { approve: true, by: 'U_APPROVER', now: at(5), content: decidedContentOf(request()) };
      expect(await store.decide(newRequestId(), decision)).toStrictEqual({ ok: false, refusal: 'not-found' });
      expect(await store.decide('*', decision)).toStrictEqual({ ok: false, refusal: 'not-found' });
    });
  });

  describe('decisions bound to the content', () => {
    const key = (id: string) => `${prefix}:req:${id}`;
    const widen = (policies: NetworkPolicy[]) =>
      policies.map((p) => ({ ...p, spec: { ...p.spec, ingress: [{}] } }));

    it('refuses a decision on policies changed since they were read, audits it and leaves it pending', async () => {
      const record = request();
      await store.create(record);
      const shown = decidedContentOf(record);
      const widened = widen(record.policies);
      await client.hset(
        key(record.id),
        'policies',
        JSON.stringify(widened),
        'policyHash',
        policyHash(widened),
      );
      const result = await store.decide(record.id, {
        approve: true,
        by: 'U_APPROVER',
        now: at(5),
        content: shown,
      });
      expect(result).toMatchObject({ ok: false, refusal: 'changed', record: { state: 'pending-approval' } });
      expect((await store.audit(record.id))[1]).toStrictEqual({
        requestId: record.id,
        cluster: 'prod',
        at: at(5),
        actor: 'U_APPROVER',
        action: 'refused',
        namespaces: ['shop'],
        detail: 'approve refused: the stored policies are not the ones shown (hash mismatch)',
      });
      expect(await store.listByState(['approved'])).toStrictEqual([]);
    });

    it('refuses when only the policies changed (hash field kept) or only the hash', async () => {
      const record = request();
      await store.create(record);
      const shown = decidedContentOf(record);
      await client.hset(key(record.id), 'policies', JSON.stringify(widen(record.policies)));
      const decision = { approve: true, by: 'U_APPROVER', now: at(5), content: shown };
      expect(await store.decide(record.id, decision)).toMatchObject({ ok: false, refusal: 'changed' });
      await client.hset(
        key(record.id),
        'policies',
        JSON.stringify(record.policies),
        'policyHash',
        'f'.repeat(64),
      );
      expect(await store.decide(record.id, decision)).toMatchObject({ ok: false, refusal: 'changed' });
      await client.hset(key(record.id), 'policyHash', record.policyHash);
      expect(await store.decide(record.id, decision)).toMatchObject({ ok: true });
    });

    it('audits a decision under the namespaces decided on, not the stored namespaces field', async () => {
      const record = request({ namespaces: ['payments'] });
      await store.create(record);
      await client.hset(key(record.id), 'namespaces', JSON.stringify(['shop']));
      const content = decidedContentOf(record);
      expect(content.namespaces).toStrictEqual(['payments']);
      await store.decide(record.id, { approve: true, by: 'U_APPROVER', now: at(5), content });
      expect((await store.history('prod', 'payments')).map((e) => e.action)).toStrictEqual([
        'approved',
        'submitted',
      ]);
      expect((await store.audit(record.id))[1]).toMatchObject({
        action: 'approved',
        namespaces: ['payments'],
      });
    });

    it('audits clicks on a request already decided and on an expired one, by who clicked', async () => {
      const decided = request();
      await store.create(decided);
      const content = decidedContentOf(decided);
      await store.decide(decided.id, { approve: false, by: 'U_APPROVER', now: at(5), content });
      await store.decide(decided.id, { approve: true, by: 'U_OTHER', now: at(6), content });
      expect((await store.audit(decided.id))[2]).toStrictEqual({
        requestId: decided.id,
        cluster: 'prod',
        at: at(6),
        actor: 'U_OTHER',
        action: 'refused',
        namespaces: ['shop'],
        detail: 'approve refused: the request is already rejected',
      });
      const late = request({ expiresAt: at(60) });
      await store.create(late);
      const lateContent = decidedContentOf(late);
      await store.decide(late.id, { approve: true, by: 'U_APPROVER', now: at(61), content: lateContent });
      expect((await store.audit(late.id)).slice(1)).toStrictEqual([
        expect.objectContaining({ actor: 'system', action: 'expired' }),
        expect.objectContaining({
          actor: 'U_APPROVER',
          at: at(61),
          action: 'refused',
          detail: `approve refused: the request expired at ${at(60)}`,
        }),
      ]);
    });

    it('refuse records a refusal on the request and its namespaces’ trails, state unchanged', async () => {
      const record = request({ namespaces: ['shop', 'payments'] });
      await store.create(record);
      const why = 'approve refused: not an approver for payments';
      expect(await store.refuse(record.id, { by: 'U_X', now: at(2), why, namespaces: ['payments'] })).toBe(
        true,
      );
      const entry = {
        requestId: record.id,
        cluster: 'prod',
        at: at(2),
        actor: 'U_X',
        action: 'refused',
        namespaces: ['payments'],
        detail: why,
      };
      expect((await store.audit(record.id))[1]).toStrictEqual(entry);
      expect((await store.history('prod', 'payments'))[0]).toStrictEqual(entry);
      expect((await store.history('prod', 'shop'))[0]?.action).toBe('submitted');
      expect(await store.get(record.id)).toStrictEqual(record);
      expect(await store.refuse(newRequestId(), { by: 'U_X', now: at(2), why, namespaces: [] })).toBe(false);
    });
  });

  describe('expire', () => {
    it('does nothing before expiresAt, expires at it, and only once', async () => {
      const record = request({ expiresAt: at(60) });
      await store.create(record);
      expect(await store.expire(record.id, at(59))).toStrictEqual({ ok: false, record });
      expect(await store.expire(record.id, at(60))).toStrictEqual({
        ok: true,
        record: { ...record, state: 'expired' },
      });
      expect(await store.expire(record.id, at(61))).toMatchObject({
        ok: false,
        record: { state: 'expired' },
      });
      expect((await store.audit(record.id)).map((e) => `${e.actor}:${e.action}`)).toStrictEqual([
        'U_REQUESTER:submitted',
        'system:expired',
      ]);
      expect(await store.expire(newRequestId(), at(61))).toStrictEqual({ ok: false });
    });

    it('leaves a decided request alone', async () => {
      const record = request();
      await store.create(record);
      await store.decide(record.id, {
        content: decidedContentOf(record),
        approve: true,
        by: 'U_APPROVER',
        now: at(1),
      });
      expect(await store.expire(record.id, at(120))).toMatchObject({
        ok: false,
        record: { state: 'approved' },
      });
    });
  });

  describe('transition', () => {
    const applying = { from: ['approved', 'applying'], to: 'applying', actor: 'worker:prod' } as const;

    it('guards the worker lifecycle, merging fields', async () => {
      const record = request();
      await store.create(record);
      await store.decide(record.id, {
        content: decidedContentOf(record),
        approve: true,
        by: 'U_APPROVER',
        now: at(1),
      });

      const started = await store.transition(record.id, {
        ...applying,
        from: [...applying.from],
        action: 'apply-started',
        now: at(2),
        fields: { attempts: 1 },
      });
      expect(started).toMatchObject({ ok: true, record: { state: 'applying', attempts: 1 } });

      // A restarted worker re-enters applying: allowed because listed.
      const again = await store.transition(record.id, {
        ...applying,
        from: [...applying.from],
        action: 'apply-retry',
        now: at(3),
        detail: 'worker restarted',
        fields: { attempts: 2 },
      });
      expect(again).toMatchObject({ ok: true, record: { state: 'applying', attempts: 2 } });

      const applied = await store.transition(record.id, {
        from: ['applying'],
        to: 'applied',
        actor: 'worker:prod',
        action: 'applied',
        now: at(4),
        fields: { appliedAt: at(4) },
      });
      expect(applied).toMatchObject({
        ok: true,
        record: { state: 'applied', appliedAt: at(4), attempts: 2 },
      });

      const late = await store.transition(record.id, {
        ...applying,
        from: [...applying.from],
        action: 'apply-started',
        now: at(5),
      });
      expect(late).toStrictEqual({ ok: false, record: (applied as { record: RequestRecord }).record });
      expect(await store.listByState(['applied'])).toHaveLength(1);
      expect(await store.listByState(['approved', 'applying'])).toHaveLength(0);
    });

    it('never leaves a final state, even when it is listed', async () => {
      const record = request();
      await store.create(record);
      await store.decide(record.id, {
        content: decidedContentOf(record),
        approve: false,
        by: 'U_APPROVER',
        now: at(1),
      });
      const result = await store.transition(record.id, {
        from: ['rejected'],
        to: 'applying',
        actor: 'worker:prod',
        action: 'apply-started',
        now: at(2),
      });
      expect(result).toMatchObject({ ok: false, record: { state: 'rejected' } });
      expect(await store.audit(record.id)).toHaveLength(2);
    });

    it('refuses a request in an unlisted state, or unknown, without auditing', async () => {
      const record = request();
      await store.create(record);
      const change = { from: ['approved' as const], to: 'applying' as const, actor: 'worker:prod' };
      const result = await store.transition(record.id, { ...change, action: 'apply-started', now: at(2) });
      expect(result).toStrictEqual({ ok: false, record });
      expect(await store.audit(record.id)).toHaveLength(1);
      expect(
        await store.transition(newRequestId(), { ...change, action: 'apply-started', now: at(2) }),
      ).toStrictEqual({ ok: false });
    });
  });

  describe('audit and history', () => {
    it('records a full lifecycle in order', async () => {
      const record = request();
      await store.create(record);
      await store.decide(record.id, {
        content: decidedContentOf(record),
        approve: true,
        by: 'U_APPROVER',
        now: at(1),
      });
      await store.transition(record.id, {
        from: ['approved'],
        to: 'applying',
        actor: 'worker:prod',
        action: 'apply-started',
        now: at(2),
      });
      await store.transition(record.id, {
        from: ['applying'],
        to: 'applied',
        actor: 'worker:prod',
        action: 'applied',
        now: at(3),
        detail: 'server-side applied 1 policy',
        fields: { appliedAt: at(3) },
      });
      const base = { requestId: record.id, cluster: 'prod', namespaces: ['shop'] };
      expect(await store.audit(record.id)).toStrictEqual<AuditEntry[]>([
        { ...base, at: at(0), actor: 'U_REQUESTER', action: 'submitted', to: 'pending-approval' },
        {
          ...base,
          at: at(1),
          actor: 'U_APPROVER',
          action: 'approved',
          from: 'pending-approval',
          to: 'approved',
        },
        {
          ...base,
          at: at(2),
          actor: 'worker:prod',
          action: 'apply-started',
          from: 'approved',
          to: 'applying',
        },
        {
          ...base,
          at: at(3),
          actor: 'worker:prod',
          action: 'applied',
          from: 'applying',
          to: 'applied',
          detail: 'server-side applied 1 policy',
        },
      ]);
    });

    it('keeps each namespace trail newest first, across requests and namespaces', async () => {
      const both = request({ namespaces: ['shop', 'payments'], createdAt: at(0) });
      const shop = request({ namespaces: ['shop'], createdAt: at(1) });
      const staging = request({ cluster: 'staging', namespaces: ['shop'], createdAt: at(2) });
      await store.create(both);
      await store.create(shop);
      await store.create(staging);
      await store.decide(both.id, {
        content: decidedContentOf(both),
        approve: false,
        by: 'U_APPROVER',
        reason: 'no',
        now: at(3),
      });
      await store.decide(shop.id, {
        content: decidedContentOf(shop),
        approve: true,
        by: 'U_APPROVER',
        now: at(4),
      });

      const trail = (entries: AuditEntry[]) => entries.map((e) => `${e.requestId}:${e.action}`);
      expect(trail(await store.history('prod', 'shop'))).toStrictEqual([
        `${shop.id}:approved`,
        `${both.id}:rejected`,
        `${shop.id}:submitted`,
        `${both.id}:submitted`,
      ]);
      expect(trail(await store.history('prod', 'payments'))).toStrictEqual([
        `${both.id}:rejected`,
        `${both.id}:submitted`,
      ]);
      expect(trail(await store.history('prod', 'shop', { limit: 1 }))).toStrictEqual([`${shop.id}:approved`]);
      expect(trail(await store.history('staging', 'shop'))).toStrictEqual([`${staging.id}:submitted`]);
      expect(await store.history('prod', 'nowhere')).toStrictEqual([]);
      expect((await store.history('prod', 'payments'))[0]!.namespaces).toStrictEqual(['shop', 'payments']);
    });

    it('caps each namespace trail', async () => {
      const capped = new RequestStore(client, { prefix, namespaceHistoryCap: 3 });
      const records = [0, 1, 2].map((i) => request({ createdAt: at(i) }));
      for (const record of records) await capped.create(record);
      await capped.decide(records[0]!.id, {
        content: decidedContentOf(records[0]!),
        approve: true,
        by: 'U_APPROVER',
        now: at(5),
      });
      const history = await capped.history('prod', 'shop');
      expect(history.map((e) => `${e.requestId}:${e.action}`)).toStrictEqual([
        `${records[0]!.id}:approved`,
        `${records[2]!.id}:submitted`,
        `${records[1]!.id}:submitted`,
      ]);
      expect(await capped.audit(records[0]!.id)).toHaveLength(2); // the request's own trail is whole
    });
  });

  describe('listByState', () => {
    it('lists oldest first across states, by cluster, up to a limit', async () => {
      const a = request({ createdAt: at(3) });
      const b = request({ createdAt: at(1) });
      const c = request({ createdAt: at(2), cluster: 'staging' });
      const d = request({ createdAt: at(0) });
      const e = request({ createdAt: at(4) });
      for (const r of [a, b, c, d, e]) await store.create(r);
      await store.decide(d.id, {
        content: decidedContentOf(d),
        approve: true,
        by: 'U_APPROVER',
        now: at(5),
      });
      await store.decide(e.id, {
        content: decidedContentOf(e),
        approve: false,
        by: 'U_APPROVER',
        now: at(5),
      });

      const ids = (records: RequestRecord[]) => records.map((r) => r.id);
      expect(ids(await store.listByState(['pending-approval', 'approved']))).toStrictEqual([
        d.id,
        b.id,
        c.id,
        a.id,
      ]);
      expect(
        ids(await store.listByState(['pending-approval', 'approved'], { cluster: 'prod' })),
      ).toStrictEqual([d.id, b.id, a.id]);
      expect(ids(await store.listByState(['pending-approval'], { cluster: 'prod', limit: 1 }))).toStrictEqual(
        [b.id],
      );
      expect(ids(await store.listByState(['pending-approval'], { cluster: 'staging' }))).toStrictEqual([
        c.id,
      ]);
      expect(ids(await store.listByState(['rejected']))).toStrictEqual([e.id]);
      expect(await store.listByState(['failed'])).toStrictEqual([]);
      expect(await store.listByState([])).toStrictEqual([]);
      expect((await store.listByState(['approved']))[0]).toStrictEqual(await store.get(d.id));
    });
  });

  describe('setApprovalMessage', () => {
    it('records where the approval message is, idempotently', async () => {
      const record = request();
      await store.create(record);
      await store.setApprovalMessage(record.id, 'C_APPROVALS', '1712345678.000100');
      await store.setApprovalMessage(record.id, 'C_APPROVALS', '1712345678.000100');
      expect(await store.get(record.id)).toStrictEqual({
        ...record,
        approvalChannel: 'C_APPROVALS',
        approvalTs: '1712345678.000100',
      });
      await expect(store.setApprovalMessage(newRequestId(), 'C', '1.2')).rejects.toMatchObject({
        code: 'E_NOT_FOUND',
      });
    });
  });

  describe('when Redis fails', () => {
    it('wraps the error, naming the operation and the request, with the cause kept', async () => {
      const dead = new Redis({
        port: await freePort(),
        host: '127.0.0.1',
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      dead.on('error', () => undefined);
      const broken = new RequestStore(dead, { prefix });
      const id = newRequestId();
      try {
        const error = await broken.get(id).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RequestStoreError);
        expect(error).toMatchObject({ code: 'E_REDIS', operation: 'get', requestId: id });
        expect((error as Error).message).toContain(`get ${id}: redis failed`);
        expect((error as Error).cause).toBeInstanceOf(Error);
        await expect(
          broken.decide(id, { approve: true, by: 'U', now: at(0), content: decidedContentOf(request()) }),
        ).rejects.toMatchObject({
          code: 'E_REDIS',
          message: expect.stringContaining(`decide ${id}`),
        });
      } finally {
        dead.disconnect();
      }
    });
  });

  // Last: it restarts the server under everything else.
  describe('across a Redis restart', () => {
    it('keeps a pending request, which can then be approved through the same client', async () => {
      const record = request();
      await store.create(record);
      expect(await client.script('EXISTS', SCRIPTS.create.sha)).toStrictEqual([1]);
      await redis.restart();
      expect(await store.get(record.id)).toStrictEqual(record);
      // The script cache is empty after a restart: the store must fall back to EVAL.
      expect(await client.script('EXISTS', SCRIPTS.create.sha, SCRIPTS.decide.sha)).toStrictEqual([0, 0]);
      const result = await store.decide(record.id, {
        content: decidedContentOf(record),
        approve: true,
        by: 'U_APPROVER',
        now: at(5),
      });
      expect(result).toMatchObject({ ok: true, record: { state: 'approved', decidedBy: 'U_APPROVER' } });
      expect((await store.audit(record.id)).map((e) => e.action)).toStrictEqual(['submitted', 'approved']);
    });
  });
});
