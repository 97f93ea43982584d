import { startTestApp, TestApp } from '../helpers/test-app';
import { Shop, sleep, statusCounts } from './shop';

/**
 * The headline scenario of issue 5: 2,000 concurrent checkouts from 500 users for 100
 * units; then half the orders are paid, a quarter cancelled and a quarter left to expire.
 * Everything is checked from the outside (HTTP) and from the database.
 */
describe('flash sale, end to end', () => {
  const PAYMENT_TIMEOUT_SEC = 20;
  const UNITS = 100;
  const USERS = 500;
  const REQUESTS = 2000;
  const PRICE = 1000;
  const START_BALANCE = 5000;
  const users = Array.from({ length: USERS }, (_, i) => `fs${String(i).padStart(3, '0')}`);
  const couponUsers = new Set(users.slice(0, 100));
  let t: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    t = await startTestApp({ env: { ORDER_PAYMENT_TIMEOUT_SEC: String(PAYMENT_TIMEOUT_SEC), DB_POOL_SIZE: '30' } });
    shop = new Shop(t);
    await shop.product('FLASH', PRICE);
    await shop.inbound('FLASH', UNITS);
    await shop.coupon('FLASH10', 'FIXED', 100, [...couponUsers]);
    for (let i = 0; i < USERS; i += 50)
      await Promise.all(users.slice(i, i + 50).map((u) => shop.credit(u, START_BALANCE)));
  });

  afterAll(async () => {
    await t?.close();
  });

  it('sells exactly the stock, then settles every order consistently', async () => {
    // 4 requests per user; a coupon holder uses the coupon on its first request only.
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) => {
        const user = users[i % USERS];
        const couponCode = couponUsers.has(user) && i < USERS ? 'FLASH10' : undefined;
        return shop.place(user, [{ sku: 'FLASH', qty: 1 }], { couponCode });
      }),
    );
    const placingMs = Date.now() - started;
    const counts = statusCounts(results);
    expect(counts).toEqual({ '201': UNITS, '409 INSUFFICIENT_STOCK': REQUESTS - UNITS });
    expect(placingMs).toBeLessThan(PAYMENT_TIMEOUT_SEC * 1000 - 5000); // room left to pay before the deadline

    const orders = results.filter((r) => r.status === 201).map((r) => r.body);
    expect(new Set(orders.map((o) => o.orderId)).size).toBe(UNITS);
    for (const o of orders) {
      expect(o.status).toBe('PENDING_PAYMENT');
      expect(o.items).toEqual([{ sku: 'FLASH', qty: 1, unitPriceCents: PRICE }]);
      expect(o.payableCents).toBe(o.couponCode ? PRICE - 100 : PRICE);
    }
    const [{ n: rows }] = await t.db.query(`SELECT COUNT(*) AS n FROM orders WHERE status = 'PENDING_PAYMENT'`);
    expect(Number(rows)).toBe(UNITS);
    expect(await shop.stock('FLASH')).toMatchObject({ onHand: UNITS, reserved: UNITS, available: 0 });

    // Half paid, a quarter cancelled, a quarter left to expire: all at once.
    const toPay = orders.slice(0, 50);
    const toCancel = orders.slice(50, 75);
    const toExpire = orders.slice(75);
    const [paid, cancelled] = await Promise.all([
      Promise.all(toPay.map((o) => shop.pay(o.userId, o.orderId))),
      Promise.all(toCancel.map((o) => shop.cancel(o.userId, o.orderId))),
    ]);
    expect(statusCounts(paid)).toEqual({ '200': 50 });
    expect(paid.every((r) => r.body.status === 'PAID')).toBe(true);
    expect(statusCounts(cancelled)).toEqual({ '200': 25 });
    expect(cancelled.every((r) => r.body.status === 'CANCELLED')).toBe(true);

    // Let the deadline pass and let the recovery job expire the rest.
    const latestDeadline = Math.max(...toExpire.map((o) => Date.parse(o.expiresAt)));
    await sleep(Math.max(0, latestDeadline - Date.now() + 200));
    await shop.recoverAll();
    for (const o of toExpire) expect((await shop.order(o.userId, o.orderId)).status).toBe('EXPIRED');

    // Stock: 50 sold, the rest back on sale; the ledger explains both numbers.
    expect(await shop.stock('FLASH')).toMatchObject({ onHand: UNITS - 50, reserved: 0, available: UNITS - 50 });
    expect(await shop.ledger('FLASH')).toEqual({ onHand: UNITS - 50, reserved: 0 });

    // Wallets: each user paid exactly the payable of their PAID orders, nothing left frozen.
    const spent = new Map<string, number>();
    for (const o of toPay) spent.set(o.userId, (spent.get(o.userId) ?? 0) + o.payableCents);
    for (const user of new Set(orders.map((o) => o.userId))) {
      expect(await shop.wallet(user)).toEqual({
        userId: user,
        balanceCents: START_BALANCE - (spent.get(user) ?? 0),
        frozenCents: 0,
      });
    }

    // Coupons: USED exactly when the order that held it was paid; otherwise back to AVAILABLE.
    const couponOrders = orders.filter((o) => o.couponCode === 'FLASH10');
    expect(couponOrders.length).toBeGreaterThan(0);
    const paidIds = new Set(toPay.map((o) => o.orderId));
    for (const user of couponUsers) {
      const usedBy = couponOrders.find((o) => o.userId === user);
      const expected = usedBy && paidIds.has(usedBy.orderId) ? 'USED' : 'AVAILABLE';
      expect({ user, state: await shop.couponState(user, 'FLASH10') }).toEqual({ user, state: expected });
    }

    const statuses = await t.db.query(`SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status`);
    expect(Object.fromEntries(statuses.map((r: { status: string; n: number }) => [r.status, Number(r.n)]))).toEqual({
      PAID: 50,
      CANCELLED: 25,
      EXPIRED: 25,
    });
    expect(await shop.nonTerminalTransactions()).toEqual({ TRYING: 0, CONFIRMING: 0, CANCELLING: 0 });
    expect(await shop.audit()).toEqual({ ok: true, violations: [] });

    // Redis agrees with MySQL once quiet (reconciliation finds nothing to fix).
    const reconcile = await t.request('POST', '/v1/admin/reconcile');
    expect(reconcile.status).toBe(200);
    expect(reconcile.body.drifted).toBe(0);
  });
});
