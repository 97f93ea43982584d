import { ulid } from 'ulid';
import { IdempotencyEpoch, sleep } from '@app/core';
import { Shop } from '../e2e/shop';
import { countPoolCheckouts, startTestApp, TestApp } from '../helpers/test-app';

/**
 * A checkout retried after Redis lost the key's record gets its order back (201, replayed),
 * never a refusal it would not have had the first time: sold out since, limit reached by its own
 * order, product deactivated since. And the refusal path stays off MySQL once Redis knows every
 * used key again.
 */
describe('checkout retries after Redis lost the idempotency record', () => {
  let t: TestApp;
  let shop: Shop;
  let checkouts: () => number;

  beforeAll(async () => {
    t = await startTestApp({ env: { REDIS_PING_INTERVAL_MS: '100', SOLD_OUT_FLAG_TTL_MS: '60000' } });
    shop = new Shop(t);
    checkouts = countPoolCheckouts(t);
  });
  afterAll(() => t?.close());

  const prefix = () => t.testEnv.redisPrefix;
  const epoch = () => t.app.get(IdempotencyEpoch);

  /** What a FLUSHDB does to this run's keys (the app's client prefixes what it deletes). */
  async function flushRedis(): Promise<void> {
    const keys = await t.redis.keys(`${prefix()}*`);
    if (keys.length) await t.redis.del(...keys.map((k) => k.slice(prefix().length)));
  }

  /** An eviction of one record (the marker goes with it, as the eviction check would drop it). */
  async function loseRecord(key: string): Promise<void> {
    for (const k of await t.redis.keys(`${prefix()}idem:*:${key}`)) await t.redis.del(k.slice(prefix().length));
    await t.redis.del('idem-epoch');
  }

  async function expectReplay(user: string, items: Array<{ sku: string; qty: number }>, key: string, orderId: string) {
    const retry = await shop.place(user, items, { key });
    expect({ status: retry.status, error: retry.body.error, message: retry.body.message }).toEqual({
      status: 201,
      error: undefined,
      message: undefined,
    });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.orderId).toBe(orderId);
  }

  it('sold out since, after a flush: the retry gets its order, others are still refused', async () => {
    await shop.product('RP-SOLD', 100);
    await shop.inbound('RP-SOLD', 1);
    const key = ulid();
    const order = await shop.placed('rp-a', [{ sku: 'RP-SOLD', qty: 1 }], { key });
    expect((await shop.place('rp-b', [{ sku: 'RP-SOLD', qty: 1 }])).status).toBe(409); // this instance flags it sold out

    await flushRedis();
    await expectReplay('rp-a', [{ sku: 'RP-SOLD', qty: 1 }], key, order.orderId);
    const other = await shop.place('rp-c', [{ sku: 'RP-SOLD', qty: 1 }]);
    expect(other.body.error).toBe('INSUFFICIENT_STOCK');
    expect(Number((await t.db.query(`SELECT COUNT(*) AS n FROM orders WHERE user_id LIKE 'rp-%'`))[0].n)).toBe(1);
  });

  it('sold out since, after the record write failed when the first request completed', async () => {
    await shop.product('RP-WRITE', 100);
    await shop.inbound('RP-WRITE', 1);
    const key = ulid();
    const set = t.redis.set.bind(t.redis);
    const failing = jest.spyOn(t.redis, 'set').mockImplementation((...args: Parameters<typeof t.redis.set>) => {
      if (String(args[0]).endsWith(key) && String(args[1]).includes('"DONE"'))
        return Promise.reject(new Error('Redis write lost'));
      return set(...args);
    });
    let orderId: string;
    try {
      orderId = (await shop.placed('rp-w', [{ sku: 'RP-WRITE', qty: 1 }], { key })).orderId;
    } finally {
      failing.mockRestore();
    }
    expect((await shop.place('rp-w2', [{ sku: 'RP-WRITE', qty: 1 }])).body.error).toBe('INSUFFICIENT_STOCK');
    // Until its 60 s run out, the first attempt's in-flight marker answers 409 "in progress"; then:
    for (const k of await t.redis.keys(`${prefix()}idem:*:${key}`)) await t.redis.del(k.slice(prefix().length));
    await expectReplay('rp-w', [{ sku: 'RP-WRITE', qty: 1 }], key, orderId);
  });

  it('the purchase limit reached by its own order', async () => {
    await shop.product('RP-LIMIT', 100, { maxPerUser: 1 });
    await shop.inbound('RP-LIMIT', 10);
    const key = ulid();
    const order = await shop.placed('rp-l', [{ sku: 'RP-LIMIT', qty: 1 }], { key });
    expect((await shop.place('rp-l', [{ sku: 'RP-LIMIT', qty: 1 }])).body.error).toBe('PURCHASE_LIMIT_EXCEEDED');

    await loseRecord(key);
    await expectReplay('rp-l', [{ sku: 'RP-LIMIT', qty: 1 }], key, order.orderId);
    expect((await shop.stock('RP-LIMIT')).reserved).toBe(1);
  });

  it('the product deactivated since', async () => {
    await shop.product('RP-GONE', 100);
    await shop.inbound('RP-GONE', 10);
    const key = ulid();
    const order = await shop.placed('rp-g', [{ sku: 'RP-GONE', qty: 2 }], { key });
    expect((await t.request('PATCH', '/v1/admin/products/RP-GONE', { body: { status: 'INACTIVE' } })).status).toBe(200);

    await loseRecord(key);
    await expectReplay('rp-g', [{ sku: 'rp-gone', qty: 2 }], key, order.orderId);
    const changed = await shop.place('rp-g', [{ sku: 'RP-GONE', qty: 3 }], { key });
    expect(changed.body.error).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('once Redis knows every used key again, sold-out refusals cost no MySQL', async () => {
    // This instance learns of the rebuild on its next check; Redis has the word first.
    const rebuilt = async () => (await t.redis.get('idem-epoch')) === 'complete' && epoch().recordsComplete;
    for (let i = 0; i < 100 && !(await rebuilt()); i++) await sleep(50);
    expect(await rebuilt()).toBe(true);
    // The rebuild wrote back the keys used before the flush: the replay still works.
    const [sold] = await t.db.query(`SELECT idempotency_key AS k, order_id AS id FROM orders WHERE user_id = 'rp-a'`);
    await expectReplay('rp-a', [{ sku: 'RP-SOLD', qty: 1 }], sold.k, sold.id);

    // The first refusal after the flush loads the row back into Redis (and flags it sold out).
    expect((await shop.place('rp-warm', [{ sku: 'RP-SOLD', qty: 1 }])).body.error).toBe('INSUFFICIENT_STOCK');
    const before = checkouts();
    const refused = await Promise.all(
      Array.from({ length: 50 }, (_, i) => shop.place(`rp-late${i}`, [{ sku: 'RP-SOLD', qty: 1 }])),
    );
    expect(refused.map((r) => r.body.error)).toEqual(Array(50).fill('INSUFFICIENT_STOCK'));
    expect(checkouts() - before).toBe(0);
  });
});
