import { ulid } from 'ulid';
import { IdempotencyClaim, IdempotencyStore, inTransaction } from '@app/core';
import { Shop } from '../e2e/shop';
import { startTestApp, TestApp } from '../helpers/test-app';

/**
 * Admin changes are applied once per Idempotency-Key even when the process dies between the
 * change's commit and the write of its idempotency record. The death is injected at that exact
 * point (the record write fails after the commit); the restart's effects are reproduced: the
 * Redis in-flight marker is gone and more than the 60 s in-flight window has passed.
 */
describe('admin stock changes are exactly once', () => {
  let t: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    t = await startTestApp();
    shop = new Shop(t);
    expect((await t.request('POST', '/v1/admin/warehouses', { body: { code: 'east', name: 'East' } })).status).toBe(
      201,
    );
    await shop.credit('buyer', 1_000_000);
  });
  afterAll(() => t?.close());

  /** The first attempt commits its change, then the process dies before answering. */
  async function diesAfterCommit(url: string, body: Record<string, unknown>, key: string): Promise<void> {
    const store = t.app.get(IdempotencyStore);
    const complete = jest.spyOn(store, 'complete').mockRejectedValueOnce(new Error('process died'));
    try {
      expect((await t.request('POST', url, { body, idempotencyKey: key })).status).toBe(500);
    } finally {
      complete.mockRestore();
    }
    // The restart: Redis markers of the dead process are gone, and the retry comes > 60 s later.
    await dropRedisRecords(key);
    await t.db.query(`UPDATE idempotency_record SET created_at = created_at - INTERVAL 61 SECOND WHERE idem_key = ?`, [
      key,
    ]);
  }

  /** KEYS answers full names; the app's client prefixes what it deletes itself. */
  async function dropRedisRecords(key: string): Promise<void> {
    const prefix = t.testEnv.redisPrefix;
    for (const k of await t.redis.keys(`${prefix}idem:*:${key}`)) await t.redis.del(k.slice(prefix.length));
  }

  async function retry(url: string, body: Record<string, unknown>, key: string) {
    const res = await t.request('POST', url, { body, idempotencyKey: key });
    expect(res.status).toBe(200);
    expect(res.headers['idempotent-replayed']).toBe('true');
    return res.body;
  }

  it('inbound: a retry after the crash adds the units once', async () => {
    await shop.product('EO-IN', 100);
    const body = { sku: 'EO-IN', warehouse: 'main', qty: 5 };
    const key = ulid();
    await diesAfterCommit('/v1/admin/stock/inbound', body, key);
    const replayed = await retry('/v1/admin/stock/inbound', body, key);
    expect(replayed).toMatchObject({ sku: 'EO-IN', onHand: 5 });
    expect((await shop.stock('EO-IN')).onHand).toBe(5);
    expect(await shop.ledger('EO-IN')).toEqual({ onHand: 5, reserved: 0 });
  });

  it('outbound: a retry after the crash removes the units once', async () => {
    await shop.product('EO-OUT', 100);
    await shop.inbound('EO-OUT', 10);
    const body = { sku: 'EO-OUT', warehouse: 'main', qty: 4 };
    const key = ulid();
    await diesAfterCommit('/v1/admin/stock/outbound', body, key);
    await retry('/v1/admin/stock/outbound', body, key);
    expect((await shop.stock('EO-OUT')).onHand).toBe(6);
  });

  it('stocktake: a retry does not bring back units sold after the count', async () => {
    await shop.product('EO-COUNT', 100);
    await shop.inbound('EO-COUNT', 10);
    const body = { sku: 'EO-COUNT', warehouse: 'main', countedQty: 8 };
    const key = ulid();
    await diesAfterCommit('/v1/admin/stock/stocktake', body, key);
    const order = await shop.placed('buyer', [{ sku: 'EO-COUNT', qty: 3 }]);
    expect((await shop.pay('buyer', order.orderId)).status).toBe(200);
    expect((await shop.stock('EO-COUNT')).onHand).toBe(5);

    await retry('/v1/admin/stock/stocktake', body, key);
    expect(await shop.stock('EO-COUNT')).toMatchObject({ onHand: 5, available: 5 });
    expect((await shop.audit()).ok).toBe(true);
  });

  it('transfer: a retry after the crash moves the units once', async () => {
    await shop.product('EO-MOVE', 100);
    await shop.inbound('EO-MOVE', 10);
    const body = { sku: 'EO-MOVE', from: 'main', to: 'east', qty: 3 };
    const key = ulid();
    await diesAfterCommit('/v1/admin/stock/transfer', body, key);
    const replayed = await retry('/v1/admin/stock/transfer', body, key);
    expect(replayed.from).toMatchObject({ onHand: 7 });
    expect((await shop.stock('EO-MOVE', 'main')).onHand).toBe(7);
    expect((await shop.stock('EO-MOVE', 'east')).onHand).toBe(3);
  });

  it('wallet credit: a retry after the crash credits once and replays the answer', async () => {
    const key = ulid();
    await diesAfterCommit('/v1/admin/wallets/eo-user/credit', { amountCents: 700 }, key);
    const replayed = await retry('/v1/admin/wallets/eo-user/credit', { amountCents: 700 }, key);
    expect(replayed).toMatchObject({ userId: 'eo-user', balanceCents: 700 });
    expect((await shop.wallet('eo-user')).balanceCents).toBe(700);
  });

  it('an attempt whose key was taken over records nothing and rolls its change back', async () => {
    const store = t.app.get(IdempotencyStore);
    const first = await store.begin('k:race', 'race-key', 'h'.repeat(64), true);
    expect(first.kind).toBe('acquired');
    await t.db.query(
      `UPDATE idempotency_record SET created_at = created_at - INTERVAL 61 SECOND WHERE idem_key = 'race-key'`,
    );
    await dropRedisRecords('race-key');
    const second = await store.begin('k:race', 'race-key', 'h'.repeat(64), true);
    expect(second.kind).toBe('acquired');
    const claimOf = (o: typeof first) =>
      new IdempotencyClaim(
        store,
        'k:race',
        'race-key',
        'h'.repeat(64),
        o.kind === 'acquired' ? o.attemptId : null,
        200,
        false,
      );

    const late = inTransaction(t.db, async (em) => {
      // The attempt's own change, which must not survive its failed record.
      await em.query(
        `INSERT INTO idempotency_record (scope, idem_key, request_hash, state, created_at, expires_at)
         VALUES ('k:race', 'side-effect', ?, 'DONE', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) + INTERVAL 1 DAY)`,
        ['h'.repeat(64)],
      );
      await claimOf(first).recordIn(em, { who: 'first' });
    });
    await expect(late).rejects.toMatchObject({ code: 'CONFLICT' });
    await inTransaction(t.db, (em) => claimOf(second).recordIn(em, { who: 'second' }));
    const [row] = await t.db.query(
      `SELECT state, response_body AS body FROM idempotency_record WHERE idem_key = 'race-key'`,
    );
    expect(row.state).toBe('DONE');
    expect(typeof row.body === 'string' ? JSON.parse(row.body) : row.body).toEqual({ who: 'second' });
    expect(await t.db.query(`SELECT 1 FROM idempotency_record WHERE idem_key = 'side-effect'`)).toHaveLength(0);
  });
});
