import { AppConfig, IdempotencyInterceptor, IdempotencyStore } from '@app/core';
import { countPoolCheckouts, startTestApp, TestApp } from '../helpers/test-app';
import { Shop } from './shop';

/**
 * docs/architecture.md#request-paths: in a flash-sale flood most requests are refusals, and a refusal must cost no
 * MySQL round trip (auth and the sold-out flag from memory, idempotency in Redis). Counted at
 * the app's own connection pool: every statement TypeORM runs first checks out a connection.
 */
describe('checkout hot path', () => {
  let t: TestApp;
  let shop: Shop;
  let checkouts: () => number;

  beforeAll(async () => {
    t = await startTestApp({ env: { CATALOGUE_CACHE_MS: '60000', SOLD_OUT_FLAG_TTL_MS: '60000' } });
    shop = new Shop(t);
    checkouts = countPoolCheckouts(t);
    await shop.product('HOT', 100);
    await shop.inbound('HOT', 3);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('counts connection checkouts (the probe itself works)', async () => {
    const before = checkouts();
    expect((await shop.place('warm', [{ sku: 'HOT', qty: 1 }])).status).toBe(201);
    expect(checkouts()).toBeGreaterThan(before);
  });

  it('refuses a sold-out sku without touching MySQL', async () => {
    const sold = await Promise.all(
      Array.from({ length: 10 }, (_, i) => shop.place(`hot${i}`, [{ sku: 'HOT', qty: 1 }])),
    );
    expect(sold.filter((r) => r.status === 201)).toHaveLength(2);

    const before = checkouts();
    const refused = await Promise.all(
      Array.from({ length: 200 }, (_, i) => shop.place(`late${i}`, [{ sku: 'HOT', qty: 1 }])),
    );

    expect(refused.every((r) => r.status === 409 && r.body.error === 'INSUFFICIENT_STOCK')).toBe(true);
    expect(checkouts() - before).toBe(0);
  });

  describe('a sold-out refusal taken from memory before the idempotency write', () => {
    const idemKeys = async () => (await t.redis.keys(`${t.testEnv.redisPrefix}idem:*`)).length;

    it('writes no idempotency record and costs no MySQL', async () => {
      const keysBefore = await idemKeys();
      const before = checkouts();
      const begin = jest.spyOn(t.app.get(IdempotencyStore), 'begin');
      try {
        const refused = await Promise.all(
          Array.from({ length: 50 }, (_, i) => shop.place(`early${i}`, [{ sku: 'HOT', qty: 1 }])),
        );
        expect(refused.map((r) => r.body.error)).toEqual(Array(50).fill('INSUFFICIENT_STOCK'));
        expect(begin).not.toHaveBeenCalled();
      } finally {
        begin.mockRestore();
      }
      expect(await idemKeys()).toBe(keysBefore);
      expect(checkouts() - before).toBe(0);
    });

    it('still replays the order of a key that succeeded before the sku sold out', async () => {
      // `warm` placed its order with this key in the first test, before the sell-out.
      const [order] = await t.db.query(
        `SELECT idempotency_key AS k, order_id AS id FROM orders WHERE user_id = 'warm'`,
      );
      const memoryRefusals = async () => {
        const metrics = await t.request('GET', '/metrics', { as: 'none' });
        const line = String(metrics.body)
          .split('\n')
          .find((l) => l.startsWith('inventory_reservations_total{outcome="refused",level="memory"}'));
        return Number(line?.split(' ')[1] ?? 0);
      };
      const refusedBefore = await memoryRefusals();
      const replay = await shop.place('warm', [{ sku: 'HOT', qty: 1 }], { key: order.k });
      expect(await memoryRefusals()).toBe(refusedBefore); // asked, but not refused: not counted
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.orderId).toBe(order.id);
    });

    it('answers a malformed body for a sold-out sku with 400, not 409', async () => {
      const bad = await t.request('POST', '/v1/orders', {
        user: 'early-bad',
        body: { items: [{ sku: 'HOT', qty: 0 }] },
        idempotencyKey: 'early-bad-1',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('VALIDATION_FAILED');
      const extra = await t.request('POST', '/v1/orders', {
        user: 'early-bad',
        body: { items: [{ sku: 'HOT', qty: 1 }], junk: 1 },
        idempotencyKey: 'early-bad-2',
      });
      expect(extra.status).toBe(400);
    });
  });

  describe('the sold-out refusal answered before Nest (EarlyRefusalHook)', () => {
    it('never reaches the Nest pipeline, and counts the refusal once', async () => {
      const counted = async () => {
        const metrics = await t.request('GET', '/metrics', { as: 'none' });
        const line = String(metrics.body)
          .split('\n')
          .find((l) => l.startsWith('orders_total{outcome="refused",reason="INSUFFICIENT_STOCK"}'));
        return Number(line?.split(' ')[1] ?? 0);
      };
      const before = await counted();
      const intercept = jest.spyOn(t.app.get(IdempotencyInterceptor), 'intercept');
      try {
        const refused = await Promise.all(
          Array.from({ length: 20 }, (_, i) => shop.place(`pre${i}`, [{ sku: 'HOT', qty: 1 }])),
        );
        expect(refused.map((r) => [r.status, r.body.error])).toEqual(Array(20).fill([409, 'INSUFFICIENT_STOCK']));
        expect(intercept).not.toHaveBeenCalled();
      } finally {
        intercept.mockRestore();
      }
      expect((await counted()) - before).toBe(20);
    });

    it('tells replays from refusals when they arrive together (one Redis probe answers many keys)', async () => {
      const placed: Array<{ user: string; key: string; orderId: string }> = await t.db.query(
        `SELECT user_id AS user, idempotency_key AS \`key\`, order_id AS orderId FROM orders`,
      );
      expect(placed.length).toBe(3);
      const requests = [
        ...placed.map((o) => ({ ...o, retry: true })),
        ...Array.from({ length: 60 }, (_, i) => ({ user: `mix${i}`, key: `mix-${i}`, orderId: '', retry: false })),
      ].sort(() => Math.random() - 0.5);
      const answers = await Promise.all(
        requests.map((r) => shop.place(r.user, [{ sku: 'HOT', qty: 1 }], { key: r.key })),
      );
      const seen = answers.map((a, i) => [requests[i].retry, a.status, a.body.orderId ?? a.body.error]);
      const expected = requests.map((r) => (r.retry ? [true, 201, r.orderId] : [false, 409, 'INSUFFICIENT_STOCK']));
      expect(seen).toEqual(expected);
    });

    it('leaves auth failures to Nest: 401 and 403 in the contract shape', async () => {
      const body = { items: [{ sku: 'HOT', qty: 1 }] };
      const noKey = await t.request('POST', '/v1/orders', {
        as: 'none',
        user: 'pre-x',
        body,
        idempotencyKey: 'pre-x-1',
      });
      expect([noKey.status, noKey.body.error]).toEqual([401, 'UNAUTHORIZED']);
      const admin = await t.request('POST', '/v1/orders', {
        as: 'admin',
        user: 'pre-x',
        body,
        idempotencyKey: 'pre-x-2',
      });
      expect([admin.status, admin.body.error]).toEqual([403, 'FORBIDDEN']);
      const noUser = await t.request('POST', '/v1/orders', { body, idempotencyKey: 'pre-x-3' });
      expect([noUser.status, noUser.body.error]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it("still counts the user's requests against the rate limit", async () => {
      const limit = t.app.get(AppConfig).http.userRatePerSec;
      const results = await Promise.all(
        Array.from({ length: limit + 10 }, () => shop.place('pre-hammer', [{ sku: 'HOT', qty: 1 }])),
      );
      const errors = results.map((r) => r.body.error);
      expect(errors.filter((e) => e === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(10);
      expect(errors.filter((e) => e === 'INSUFFICIENT_STOCK').length).toBeLessThanOrEqual(limit);
    });
  });
});
