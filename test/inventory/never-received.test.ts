import { ulid } from 'ulid';
import { sleep } from '@app/core';
import { Shop } from '../e2e/shop';
import { startTestApp, TestApp } from '../helpers/test-app';
import { newTestEnv } from '../helpers/test-env';

/**
 * A sku on sale that was never received (no stock row in MySQL, no counter in Redis): the
 * first checkout makes the gate write its "none available" to Redis, and every later one is
 * refused from Redis or the sold-out flag without a MySQL round trip. Whatever adds units to
 * the row (inbound, transfer in, stocktake) replaces that answer at once, on every instance.
 *
 * Two instances on one database and Redis: `a` keeps no sold-out flag (every refusal is
 * Redis' answer), `b` keeps flags for a minute (refusals from memory, which only the
 * cross-instance clear can end within this test).
 */
describe('a sku that was never received', () => {
  const testEnv = newTestEnv({ CATALOGUE_CACHE_MS: '60000', SOLD_OUT_FLAG_TTL_MS: '0' });
  let a: TestApp;
  let b: TestApp;
  let shopA: Shop;
  let shopB: Shop;
  const checkouts = new Map<TestApp, number>();

  /** Counts the app's own connection-pool checkouts: every statement TypeORM runs takes one. */
  function countPoolCheckouts(t: TestApp): void {
    checkouts.set(t, 0);
    const driver = t.db.driver as unknown as { obtainMasterConnection: () => Promise<unknown> };
    const obtain = driver.obtainMasterConnection.bind(driver);
    driver.obtainMasterConnection = () => {
      checkouts.set(t, checkouts.get(t)! + 1);
      return obtain();
    };
  }

  const place = (shop: Shop, sku: string, user: string) => shop.place(user, [{ sku, qty: 1 }]);
  const refusedAll = (results: Array<{ status: number; body: any }>) =>
    results.every((r) => r.status === 409 && r.body.error === 'INSUFFICIENT_STOCK');

  /** `b` learns of the new units through the clear published on the shared channel (a few ms). */
  async function placedOnB(sku: string, user: string) {
    const deadline = Date.now() + 2000;
    let res = await place(shopB, sku, user);
    while (res.status !== 201 && Date.now() < deadline) {
      await sleep(20);
      res = await place(shopB, sku, user);
    }
    return res;
  }

  beforeAll(async () => {
    a = await startTestApp({ testEnv });
    b = await startTestApp({ testEnv: { ...testEnv, env: { ...testEnv.env, SOLD_OUT_FLAG_TTL_MS: '60000' } } });
    shopA = new Shop(a);
    shopB = new Shop(b);
    countPoolCheckouts(a);
    countPoolCheckouts(b);
    expect((await a.request('POST', '/v1/admin/warehouses', { body: { code: 'north', name: 'North' } })).status).toBe(
      201,
    );
    for (const sku of ['NEVER-1', 'NEVER-2', 'NEVER-3', 'NEVER-4']) await shopA.product(sku, 100);
  });

  afterAll(async () => {
    await b?.app.close();
    await a?.close();
  });

  it('is refused without a MySQL round trip after the first checkout, by Redis and by the sold-out flag', async () => {
    // The first wave on a cold instance: its catalogue look-ups and the row's look-up are made
    // once and shared, not once per request.
    const coldA = checkouts.get(a)!;
    const cold = await Promise.all(Array.from({ length: 50 }, (_, i) => place(shopA, 'NEVER-1', `first-a${i}`)));
    expect(refusedAll(cold)).toBe(true);
    expect(checkouts.get(a)! - coldA).toBeLessThan(10); // a few look-ups, each made once
    expect(refusedAll([await place(shopB, 'NEVER-1', 'first-b')])).toBe(true);
    expect(await a.redis.hget('inv:{never-1:main}', 'available')).toBe('0');

    const beforeA = checkouts.get(a)!;
    const beforeB = checkouts.get(b)!;
    const onA = await Promise.all(Array.from({ length: 150 }, (_, i) => place(shopA, 'NEVER-1', `a${i}`)));
    const onB = await Promise.all(Array.from({ length: 150 }, (_, i) => place(shopB, 'NEVER-1', `b${i}`)));
    expect(refusedAll(onA)).toBe(true);
    expect(refusedAll(onB)).toBe(true);
    expect(checkouts.get(a)! - beforeA).toBe(0);
    expect(checkouts.get(b)! - beforeB).toBe(0);
  });

  it.each([
    [
      'an inbound',
      'NEVER-2',
      (t: TestApp) =>
        t.request('POST', '/v1/admin/stock/inbound', {
          body: { sku: 'NEVER-2', warehouse: 'main', qty: 5 },
          idempotencyKey: ulid(),
        }),
    ],
    [
      'a transfer in',
      'NEVER-3',
      async (t: TestApp) => {
        await new Shop(t).inbound('NEVER-3', 5, 'north');
        return t.request('POST', '/v1/admin/stock/transfer', {
          body: { sku: 'NEVER-3', from: 'north', to: 'main', qty: 5 },
          idempotencyKey: ulid(),
        });
      },
    ],
    [
      'a stocktake',
      'NEVER-4',
      (t: TestApp) =>
        t.request('POST', '/v1/admin/stock/stocktake', {
          body: { sku: 'NEVER-4', warehouse: 'main', countedQty: 5 },
          idempotencyKey: ulid(),
        }),
    ],
  ])('sells right after %s, on the instance that made it and on the other', async (_what, sku, addUnits) => {
    expect(refusedAll([await place(shopA, sku, 'early-a'), await place(shopB, sku, 'early-b')])).toBe(true);
    expect(refusedAll([await place(shopB, sku, 'early-b2')])).toBe(true); // from b's memory now

    expect((await addUnits(a)).status).toBe(200);

    expect((await place(shopA, sku, 'after-a')).status).toBe(201);
    expect((await placedOnB(sku, 'after-b')).status).toBe(201);
    expect(await a.redis.hget(`inv:{${sku.toLowerCase()}:main}`, 'available')).toBe('3');
  });
});
