import { ulid } from 'ulid';
import { TccCoordinator } from '@app/tcc';
import { startTestApp, TestApp } from '../helpers/test-app';
import { Shop, sleep, statusCounts } from './shop';

describe('storefront order flows, end to end', () => {
  let t: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    t = await startTestApp();
    shop = new Shop(t);
    await shop.product('TEE', 1500);
    await shop.product('MUG', 800);
    await shop.product('LIMITED', 500, { maxPerUser: 2 });
    await shop.product('RETIRED', 100);
    expect((await t.request('PATCH', '/v1/admin/products/RETIRED', { body: { status: 'INACTIVE' } })).status).toBe(200);
    await shop.inbound('TEE', 1000);
    await shop.inbound('MUG', 1000);
    await shop.inbound('LIMITED', 100);
    await shop.inbound('RETIRED', 10);
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('checkout', () => {
    it('creates a PENDING_PAYMENT order priced from the catalogue, in the shape of docs/api.md', async () => {
      const before = await shop.stock('TEE');
      const res = await shop.place('alice', [
        { sku: 'TEE', qty: 2 },
        { sku: 'MUG', qty: 1 },
      ]);
      expect(res.status).toBe(201);
      const o = res.body;
      expect(Object.keys(o).sort()).toEqual(
        [
          'orderId',
          'userId',
          'status',
          'items',
          'couponCode',
          'totalCents',
          'discountCents',
          'payableCents',
          'warehouse',
          'txId',
          'expiresAt',
          'createdAt',
          'updatedAt',
        ].sort(),
      );
      expect(o).toMatchObject({
        userId: 'alice',
        status: 'PENDING_PAYMENT',
        items: [
          { sku: 'MUG', qty: 1, unitPriceCents: 800 },
          { sku: 'TEE', qty: 2, unitPriceCents: 1500 },
        ],
        couponCode: null,
        totalCents: 3800,
        discountCents: 0,
        payableCents: 3800,
        warehouse: 'main',
      });
      expect(o.orderId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      const ttl = Date.parse(o.expiresAt) - Date.parse(o.createdAt);
      expect(ttl).toBeGreaterThanOrEqual(899_000);
      expect(ttl).toBeLessThanOrEqual(901_000);
      expect(await shop.order('alice', o.orderId)).toEqual(o);
      expect((await shop.stock('TEE')).reserved).toBe(before.reserved + 2);
      const tx = await t.request('GET', `/v1/admin/transactions/${o.txId}`);
      expect(tx.body.status).toBe('TRYING');
      expect(tx.body.branches.map((b: { branchId: string }) => b.branchId).sort()).toEqual(
        [`${o.txId}:inventory`, `${o.txId}:order`].sort(),
      );
    });

    it('applies FIXED and PERCENT coupons from the coupon rules', async () => {
      await shop.coupon('FIX300', 'FIXED', 300, ['cora']);
      await shop.coupon('PCT15', 'PERCENT', 15, ['cora']);
      const fixed = await shop.placed('cora', [{ sku: 'TEE', qty: 1 }], { couponCode: 'FIX300' });
      expect(fixed).toMatchObject({ couponCode: 'FIX300', totalCents: 1500, discountCents: 300, payableCents: 1200 });
      const pct = await shop.placed('cora', [{ sku: 'MUG', qty: 3 }], { couponCode: 'PCT15' });
      expect(pct).toMatchObject({ couponCode: 'PCT15', totalCents: 2400, discountCents: 360, payableCents: 2040 });
      expect(await shop.couponState('cora', 'FIX300')).toBe('FROZEN');
      const again = await shop.place('cora', [{ sku: 'TEE', qty: 1 }], { couponCode: 'FIX300' });
      expect(again.status).toBe(409);
      expect(again.body.error).toBe('COUPON_UNAVAILABLE');
      const notMine = await shop.place('dora', [{ sku: 'TEE', qty: 1 }], { couponCode: 'FIX300' });
      expect(notMine.body.error).toBe('COUPON_UNAVAILABLE');
    });

    it('refuses with the refusal of the failing branch and leaves no order and no hold behind', async () => {
      await shop.coupon('MIN', 'FIXED', 100, ['erin'], { minOrderCents: 100_000 });
      const stockBefore = await shop.stock('TEE');
      const belowMin = await shop.place('erin', [{ sku: 'TEE', qty: 1 }], { couponCode: 'MIN' });
      expect(belowMin.status).toBe(409);
      expect(belowMin.body.error).toBe('COUPON_UNAVAILABLE');
      const tooMany = await shop.place('erin', [{ sku: 'TEE', qty: 1001 }]);
      expect(tooMany.status).toBe(409);
      expect(tooMany.body.error).toBe('INSUFFICIENT_STOCK');
      expect((await t.request('GET', '/v1/orders', { user: 'erin' })).body.total).toBe(0);
      expect(await shop.stock('TEE')).toEqual(stockBefore);
      expect(await shop.couponState('erin', 'MIN')).toBe('AVAILABLE');
      expect(await shop.nonTerminalTransactions()).toMatchObject({ CONFIRMING: 0, CANCELLING: 0 });
    });

    it('enforces the per-user limit across orders (409 PURCHASE_LIMIT_EXCEEDED)', async () => {
      expect((await shop.place('finn', [{ sku: 'LIMITED', qty: 3 }])).body.error).toBe('PURCHASE_LIMIT_EXCEEDED');
      await shop.placed('finn', [{ sku: 'LIMITED', qty: 2 }]);
      const over = await shop.place('finn', [{ sku: 'LIMITED', qty: 1 }]);
      expect(over.status).toBe(409);
      expect(over.body.error).toBe('PURCHASE_LIMIT_EXCEEDED');
    });

    it('answers 404 for an unknown sku or warehouse and 409 CONFLICT for an inactive product', async () => {
      const unknownSku = await shop.place('gus', [{ sku: 'NOPE', qty: 1 }]);
      expect(unknownSku.status).toBe(404);
      expect(unknownSku.body).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
      const unknownWarehouse = await shop.place('gus', [{ sku: 'TEE', qty: 1 }], { warehouse: 'nowhere' });
      expect(unknownWarehouse.status).toBe(404);
      const inactive = await shop.place('gus', [{ sku: 'RETIRED', qty: 1 }]);
      expect(inactive.status).toBe(409);
      expect(inactive.body).toMatchObject({
        error: 'CONFLICT',
        details: { sku: 'RETIRED', reason: 'PRODUCT_INACTIVE' },
      });
    });

    it('places in another warehouse when asked', async () => {
      expect((await t.request('POST', '/v1/admin/warehouses', { body: { code: 'east', name: 'East' } })).status).toBe(
        201,
      );
      await shop.inbound('MUG', 5, 'east');
      const o = await shop.placed('hana', [{ sku: 'MUG', qty: 5 }], { warehouse: 'east' });
      expect(o.warehouse).toBe('east');
      expect(await shop.stock('MUG', 'east')).toMatchObject({ onHand: 5, reserved: 5 });
      expect((await shop.place('hana', [{ sku: 'MUG', qty: 1 }], { warehouse: 'east' })).body.error).toBe(
        'INSUFFICIENT_STOCK',
      );
    });

    it('reads a sku spelt in another case as the catalogue spells it, as GET /v1/products/:sku does', async () => {
      expect((await t.request('GET', '/v1/products/mug')).body.sku).toBe('MUG');
      const o = await shop.placed('hugh', [
        { sku: 'mug', qty: 1 },
        { sku: 'Tee', qty: 1 },
      ]);
      expect(o.items).toEqual([
        { sku: 'MUG', qty: 1, unitPriceCents: 800 },
        { sku: 'TEE', qty: 1, unitPriceCents: 1500 },
      ]);
      const twice = await shop.place('hugh', [
        { sku: 'MUG', qty: 1 },
        { sku: 'mug', qty: 1 },
      ]);
      expect({ status: twice.status, error: twice.body.error }).toEqual({ status: 400, error: 'VALIDATION_FAILED' });
    });

    it('reads a warehouse code spelt in another case as the catalogue spells it (one stock gate per row)', async () => {
      expect((await t.request('POST', '/v1/admin/warehouses', { body: { code: 'west', name: 'West' } })).status).toBe(
        201,
      );
      await shop.product('WEST-ONLY', 100);
      await shop.inbound('WEST-ONLY', 2, 'west');
      const o = await shop.placed('hugo', [{ sku: 'WEST-ONLY', qty: 2 }], { warehouse: 'WEST' });
      expect(o.warehouse).toBe('west');
      expect((await shop.place('hugo', [{ sku: 'WEST-ONLY', qty: 1 }], { warehouse: 'West' })).body.error).toBe(
        'INSUFFICIENT_STOCK',
      );
      // Restocked under the catalogue's spelling: every spelling of the code can buy again.
      await shop.inbound('WEST-ONLY', 3, 'west');
      const again = await shop.place('hugo', [{ sku: 'WEST-ONLY', qty: 1 }], { warehouse: 'WEST' });
      expect({ status: again.status, warehouse: again.body.warehouse }).toEqual({ status: 201, warehouse: 'west' });
      expect(await shop.stock('WEST-ONLY', 'west')).toMatchObject({ onHand: 5, reserved: 3 });
    });
  });

  describe('Idempotency-Key', () => {
    it('gives 20 concurrent identical checkouts one order and one freeze', async () => {
      const before = await shop.stock('MUG');
      const key = `same-${ulid()}`;
      const results = await Promise.all(
        Array.from({ length: 20 }, () => shop.place('ivan', [{ sku: 'MUG', qty: 3 }], { key })),
      );
      expect(statusCounts(results)).toEqual({ '201': 20 });
      expect(new Set(results.map((r) => r.body.orderId)).size).toBe(1);
      const [{ n }] = await t.db.query(`SELECT COUNT(*) AS n FROM orders WHERE user_id = 'ivan'`);
      expect(Number(n)).toBe(1);
      const [{ f }] = await t.db.query(`SELECT COUNT(*) AS f FROM stock_freeze WHERE tx_id = ?`, [
        results[0].body.txId,
      ]);
      expect(Number(f)).toBe(1);
      expect((await shop.stock('MUG')).reserved).toBe(before.reserved + 3);
    });

    it('returns the existing order when Redis lost the key (durable guard: unique user + key)', async () => {
      const key = `lost-${ulid()}`;
      const first = await shop.placed('jack', [{ sku: 'TEE', qty: 1 }], { key });
      const before = await shop.stock('TEE');
      const idemKeys = await t.redis.keys(`${t.testEnv.redisPrefix}idem:*jack*`);
      expect(idemKeys.length).toBeGreaterThan(0);
      await t.redis.del(...idemKeys.map((k) => k.slice(t.testEnv.redisPrefix.length)));

      const repeat = await shop.place('jack', [{ sku: 'TEE', qty: 1 }], { key });
      expect(repeat.status).toBe(201);
      expect(repeat.body).toEqual(first);
      expect(repeat.headers['idempotent-replayed']).toBe('true');
      expect(await shop.stock('TEE')).toEqual(before);
      const [{ n }] = await t.db.query(`SELECT COUNT(*) AS n FROM orders WHERE user_id = 'jack'`);
      expect(Number(n)).toBe(1);

      await t.redis.del(
        ...(await t.redis.keys(`${t.testEnv.redisPrefix}idem:*jack*`)).map((k) =>
          k.slice(t.testEnv.redisPrefix.length),
        ),
      );
      const otherBody = await shop.place('jack', [{ sku: 'TEE', qty: 2 }], { key });
      expect(otherBody.status).toBe(422);
      expect(otherBody.body.error).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await shop.stock('TEE')).toEqual(before);
    });
  });

  describe('pay', () => {
    it('answers 402 on a short wallet, keeps the order payable, and pays once topped up', async () => {
      const o = await shop.placed('kate', [{ sku: 'TEE', qty: 1 }]);
      await shop.credit('kate', 1000);
      const short = await shop.pay('kate', o.orderId);
      expect(short.status).toBe(402);
      expect(short.body.error).toBe('INSUFFICIENT_BALANCE');
      expect((await shop.order('kate', o.orderId)).status).toBe('PENDING_PAYMENT');
      expect(await shop.wallet('kate')).toMatchObject({ balanceCents: 1000, frozenCents: 0 });

      await shop.credit('kate', 1000);
      const stockBefore = await shop.stock('TEE');
      const paid = await shop.pay('kate', o.orderId);
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({ orderId: o.orderId, status: 'PAID' });
      expect(await shop.wallet('kate')).toMatchObject({ balanceCents: 500, frozenCents: 0 });
      expect(await shop.stock('TEE')).toMatchObject({
        onHand: stockBefore.onHand - 1,
        reserved: stockBefore.reserved - 1,
      });

      const again = await shop.pay('kate', o.orderId);
      expect(again.status).toBe(200);
      expect(again.body.status).toBe('PAID');
      expect(await shop.wallet('kate')).toMatchObject({ balanceCents: 500, frozenCents: 0 });
    });

    it('pays after a refused wallet try left a failed payment branch', async () => {
      const o = await shop.placed('liam', [{ sku: 'MUG', qty: 1 }]);
      // A 402 that got past the balance pre-check (a concurrent spend): the try itself refuses.
      const refused = await t.app
        .get(TccCoordinator)
        .tryBranch(
          o.txId,
          'payment',
          { kind: 'wallet', userId: 'liam', orderId: o.orderId, amountCents: 800 },
          { key: 'wallet' },
        )
        .catch((err: { code?: string }) => err.code);
      expect(refused).toBe('INSUFFICIENT_BALANCE');
      await shop.credit('liam', 800);
      const paid = await shop.pay('liam', o.orderId);
      expect(paid.status).toBe(200);
      expect(paid.body.status).toBe('PAID');
      expect(await shop.wallet('liam')).toMatchObject({ balanceCents: 0, frozenCents: 0 });
    });

    it('charges once when the same order is paid 10 times at once', async () => {
      const o = await shop.placed('mia', [{ sku: 'MUG', qty: 2 }]);
      await shop.credit('mia', 10_000);
      const results = await Promise.all(Array.from({ length: 10 }, () => shop.pay('mia', o.orderId)));
      expect(statusCounts(results)).toEqual({ '200': 10 });
      expect(await shop.wallet('mia')).toMatchObject({ balanceCents: 10_000 - 1600, frozenCents: 0 });
    });
  });

  describe('cancel', () => {
    it('cancels a pending order: stock and coupon released; repeating answers 200', async () => {
      await shop.coupon('BACK', 'FIXED', 100, ['nina']);
      const before = await shop.stock('TEE');
      const o = await shop.placed('nina', [{ sku: 'TEE', qty: 4 }], { couponCode: 'BACK' });
      const res = await shop.cancel('nina', o.orderId);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ orderId: o.orderId, status: 'CANCELLED' });
      expect(await shop.stock('TEE')).toEqual(before);
      expect(await shop.couponState('nina', 'BACK')).toBe('AVAILABLE');
      const again = await shop.cancel('nina', o.orderId);
      expect(again.status).toBe(200);
      expect(again.body.status).toBe('CANCELLED');
      expect((await shop.pay('nina', o.orderId)).body.error).toBe('ORDER_STATE_CONFLICT');
    });

    it('refunds a paid order: RESTOCK in the ledger, money and coupon back; repeating answers 200', async () => {
      await shop.coupon('REF', 'PERCENT', 10, ['olga']);
      await shop.credit('olga', 5000);
      const o = await shop.placed('olga', [{ sku: 'MUG', qty: 2 }], { couponCode: 'REF' });
      expect(o.payableCents).toBe(1440);
      expect((await shop.pay('olga', o.orderId)).body.status).toBe('PAID');
      expect(await shop.couponState('olga', 'REF')).toBe('USED');
      const afterPay = await shop.stock('MUG');

      const res = await shop.cancel('olga', o.orderId);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('REFUNDED');
      expect(await shop.wallet('olga')).toMatchObject({ balanceCents: 5000, frozenCents: 0 });
      expect(await shop.couponState('olga', 'REF')).toBe('AVAILABLE');
      expect(await shop.stock('MUG')).toMatchObject({ onHand: afterPay.onHand + 2, reserved: afterPay.reserved });
      const [restock] = await t.db.query(
        `SELECT delta_on_hand FROM stock_movement WHERE sku = 'MUG' AND reason = 'RESTOCK'`,
      );
      expect(Number(restock.delta_on_hand)).toBe(2);

      const again = await shop.cancel('olga', o.orderId);
      expect(again.status).toBe(200);
      expect(again.body.status).toBe('REFUNDED');
      expect(await shop.wallet('olga')).toMatchObject({ balanceCents: 5000 });
      expect((await shop.pay('olga', o.orderId)).body.error).toBe('ORDER_STATE_CONFLICT');
    });

    it('refunds once when a paid order is cancelled 10 times at once', async () => {
      await shop.credit('pete', 3000);
      const o = await shop.placed('pete', [{ sku: 'TEE', qty: 1 }]);
      expect((await shop.pay('pete', o.orderId)).status).toBe(200);
      const stock = await shop.stock('TEE');
      const results = await Promise.all(Array.from({ length: 10 }, () => shop.cancel('pete', o.orderId)));
      expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
      for (const r of results) {
        if (r.status === 200) expect(r.body.status).toBe('REFUNDED');
        else expect(r.body.error).toBe('CONFLICT'); // "refund in progress": retry later
      }
      expect(await shop.wallet('pete')).toMatchObject({ balanceCents: 3000, frozenCents: 0 });
      expect((await shop.stock('TEE')).onHand).toBe(stock.onHand + 1);
    });

    it('settles concurrent pay and cancel of the same order one way only (20 orders)', async () => {
      const users = Array.from({ length: 20 }, (_, i) => `race${i}`);
      for (const u of users) await shop.credit(u, 2000);
      const before = await shop.stock('TEE');
      const orders = await Promise.all(users.map((u) => shop.placed(u, [{ sku: 'TEE', qty: 1 }])));
      // Pay and cancel of each order are in flight together; the cancel starts 0-152 ms after the
      // pay, so the race is decided at different points of the pay (before its branch, at the commit).
      const outcomes = await Promise.all(
        orders.map((o, i) =>
          Promise.all([shop.pay(o.userId, o.orderId), sleep(i * 8).then(() => shop.cancel(o.userId, o.orderId))]),
        ),
      );

      const finals: string[] = [];
      for (const [i, [pay, cancel]] of outcomes.entries()) {
        const o = orders[i];
        const final = (await shop.order(o.userId, o.orderId)).status;
        const wallet = await shop.wallet(o.userId);
        finals.push(final);
        if (final === 'PAID') {
          // The pay won: the cancel lost the race (it never refunds a pay it raced with).
          expect([pay.status, cancel.status, cancel.body.error]).toEqual([200, 409, 'ORDER_STATE_CONFLICT']);
          expect(wallet).toEqual({ userId: o.userId, balanceCents: 500, frozenCents: 0 });
        } else if (final === 'CANCELLED') {
          expect([cancel.status, cancel.body.status, pay.status, pay.body.error]).toEqual([
            200,
            'CANCELLED',
            409,
            'ORDER_STATE_CONFLICT',
          ]);
          expect(wallet).toEqual({ userId: o.userId, balanceCents: 2000, frozenCents: 0 });
        } else {
          // The cancel only started after the pay had finished: a refund, money back.
          expect([final, pay.status, cancel.status]).toEqual(['REFUNDED', 200, 200]);
          expect(wallet).toEqual({ userId: o.userId, balanceCents: 2000, frozenCents: 0 });
        }
      }
      expect(finals).toContain('CANCELLED');
      const sold = finals.filter((s) => s === 'PAID').length;
      const after = await shop.stock('TEE');
      expect(after.onHand).toBe(before.onHand - sold);
      expect(after.reserved).toBe(before.reserved);
      expect(await shop.ledger('TEE')).toEqual({ onHand: after.onHand, reserved: after.reserved });
      expect(await shop.audit()).toEqual({ ok: true, violations: [] });
    });
  });

  describe('privacy', () => {
    it("answers 404 to another user's read, pay and cancel, and changes nothing", async () => {
      const o = await shop.placed('quinn', [{ sku: 'MUG', qty: 1 }]);
      await shop.credit('rex', 5000);
      for (const res of [
        await t.request('GET', `/v1/orders/${o.orderId}`, { user: 'rex' }),
        await shop.pay('rex', o.orderId),
        await shop.cancel('rex', o.orderId),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
      }
      expect((await shop.order('quinn', o.orderId)).status).toBe('PENDING_PAYMENT');
      expect(await shop.wallet('rex')).toMatchObject({ balanceCents: 5000 });
      expect((await t.request('GET', '/v1/orders', { user: 'rex' })).body.total).toBe(0);
    });
  });

  describe('list', () => {
    it("lists the user's orders newest first, by status, in pages", async () => {
      await shop.credit('sara', 10_000);
      const a = await shop.placed('sara', [{ sku: 'MUG', qty: 1 }]);
      const b = await shop.placed('sara', [{ sku: 'TEE', qty: 1 }]);
      const c = await shop.placed('sara', [{ sku: 'MUG', qty: 2 }]);
      await shop.pay('sara', b.orderId);
      await shop.cancel('sara', c.orderId);

      const all = await t.request('GET', '/v1/orders', { user: 'sara' });
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ page: 1, pageSize: 50, total: 3 });
      expect(all.body.items.map((o: { orderId: string }) => o.orderId)).toEqual([c.orderId, b.orderId, a.orderId]);
      const paid = await t.request('GET', '/v1/orders?status=PAID', { user: 'sara' });
      expect(paid.body.items.map((o: { orderId: string }) => o.orderId)).toEqual([b.orderId]);
      const page2 = await t.request('GET', '/v1/orders?page=2&pageSize=2', { user: 'sara' });
      expect(page2.body).toMatchObject({ page: 2, pageSize: 2, total: 3 });
      expect(page2.body.items.map((o: { orderId: string }) => o.orderId)).toEqual([a.orderId]);
    });
  });

  describe('metrics', () => {
    it('counts orders by outcome', async () => {
      const res = await t.request('GET', '/metrics', { as: 'none' });
      expect(res.status).toBe(200);
      const text = String(res.body);
      for (const outcome of ['placed', 'paid', 'cancelled', 'refunded']) {
        expect(text).toMatch(new RegExp(`^orders_total\\{outcome="${outcome}",reason=""\\} [1-9]`, 'm'));
      }
      expect(text).toMatch(/^orders_total\{outcome="refused",reason="INSUFFICIENT_STOCK"\} [1-9]/m);
      expect(text).toMatch(/^orders_total\{outcome="payment_refused",reason="INSUFFICIENT_BALANCE"\} [1-9]/m);
    });
  });

  describe('bad input', () => {
    const expect400 = (res: { status: number; body: any }) => {
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'VALIDATION_FAILED' });
      expect(typeof res.body.message).toBe('string');
    };

    it('answers 400 on POST /v1/orders for every malformed body', async () => {
      const bodies: unknown[] = [
        {},
        { items: [] },
        { items: 'TEE' },
        { items: [null] },
        { items: [7] },
        { items: [{ sku: 'TEE' }] },
        { items: [{ sku: 'TEE', qty: 0 }] },
        { items: [{ sku: 'TEE', qty: 10_001 }] },
        { items: [{ sku: 'TEE', qty: 1.5 }] },
        { items: [{ sku: 'TEE', qty: '1' }] },
        { items: [{ sku: 'TEE', qty: 1, price: 1 }] },
        { items: [{ sku: '', qty: 1 }] },
        { items: [{ sku: 'x'.repeat(65), qty: 1 }] },
        {
          items: [
            { sku: 'TEE', qty: 1 },
            { sku: 'TEE', qty: 2 },
          ],
        },
        { items: Array.from({ length: 51 }, (_, i) => ({ sku: `S${i}`, qty: 1 })) },
        { items: [{ sku: 'TEE', qty: 1 }], couponCode: '' },
        { items: [{ sku: 'TEE', qty: 1 }], couponCode: 'bad code!' },
        { items: [{ sku: 'TEE', qty: 1 }], couponCode: 5 },
        { items: [{ sku: 'TEE', qty: 1 }], warehouse: 'no spaces' },
        { items: [{ sku: 'TEE', qty: 1 }], totalCents: 1 },
      ];
      for (const body of bodies) {
        const res = await t.request('POST', '/v1/orders', { user: 'vic', body, idempotencyKey: ulid() });
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect400(res);
      }
      expect400(
        await t.request('POST', '/v1/orders', {
          user: 'vic',
          rawBody: '{"items":',
          headers: { 'content-type': 'application/json' },
          idempotencyKey: ulid(),
        }),
      );
      expect400(await t.request('POST', '/v1/orders', { user: 'vic', body: { items: [{ sku: 'TEE', qty: 1 }] } })); // no Idempotency-Key
      expect400(
        await t.request('POST', '/v1/orders', { body: { items: [{ sku: 'TEE', qty: 1 }] }, idempotencyKey: ulid() }),
      ); // no X-User-Id
      expect400(
        await t.request('POST', '/v1/orders', {
          user: 'bad user!',
          body: { items: [{ sku: 'TEE', qty: 1 }] },
          idempotencyKey: ulid(),
        }),
      );
      expect((await t.request('GET', '/v1/orders', { user: 'vic' })).body.total).toBe(0);
    });

    it('answers 400 on the other order endpoints', async () => {
      const o = await shop.placed('walt', [{ sku: 'MUG', qty: 1 }]);
      for (const url of [
        '/v1/orders?status=LOST',
        '/v1/orders?page=0',
        '/v1/orders?pageSize=201',
        '/v1/orders?pageSize=abc',
        '/v1/orders?extra=1',
      ]) {
        expect400(await t.request('GET', url, { user: 'walt' }));
      }
      expect400(await t.request('GET', '/v1/orders/not-an-id', { user: 'walt' }));
      expect400(await t.request('GET', `/v1/orders/${o.orderId.toLowerCase()}`, { user: 'walt' }));
      for (const body of [{}, { method: 'CARD' }, { method: 'WALLET', amountCents: 1 }, { method: 1 }]) {
        expect400(await t.request('POST', `/v1/orders/${o.orderId}/pay`, { user: 'walt', body }));
      }
      expect400(await t.request('POST', '/v1/orders/nope/pay', { user: 'walt', body: { method: 'WALLET' } }));
      expect400(await t.request('POST', `/v1/orders/${o.orderId}/cancel`, { user: 'walt', body: { force: true } }));
      expect400(await t.request('POST', '/v1/orders/nope/cancel', { user: 'walt', body: {} }));
      expect((await shop.order('walt', o.orderId)).status).toBe('PENDING_PAYMENT');
    });

    it('treats an unknown but well-formed order id as 404', async () => {
      const res = await shop.pay('walt', ulid());
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('NOT_FOUND');
    });
  });
});
