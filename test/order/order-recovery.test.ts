import { ulid } from 'ulid';
import { TccCoordinator } from '@app/tcc';
import { Shop } from '../e2e/shop';
import { startTestApp, TestApp } from '../helpers/test-app';

/**
 * The order module's answers to crashes and stale state: a payment tried by a caller that
 * died, a refund claimed by a caller that died, a stuck payment lock, and the audit that
 * must notice an order that disagrees with its transaction.
 */
describe('order module: recovery paths and audit', () => {
  let t: TestApp;
  let shop: Shop;
  let coordinator: TccCoordinator;

  beforeAll(async () => {
    t = await startTestApp({ env: { CATALOGUE_CACHE_MS: '0' } });
    shop = new Shop(t);
    coordinator = t.app.get(TccCoordinator);
    await shop.product('BOX', 700);
    await shop.inbound('BOX', 100);
  });

  afterAll(async () => {
    await t?.close();
  });

  const walletBranch = (o: any) =>
    coordinator.tryBranch(
      o.txId,
      'payment',
      { kind: 'wallet', userId: o.userId, orderId: o.orderId, amountCents: o.payableCents },
      { key: 'wallet' },
    );

  it('completes a wallet payment whose caller died after the try, charging once', async () => {
    await shop.credit('ann', 1000);
    const o = await shop.placed('ann', [{ sku: 'BOX', qty: 1 }]);
    await walletBranch(o); // tried, never committed
    expect(await shop.wallet('ann')).toMatchObject({ balanceCents: 300, frozenCents: 700 });
    const paid = await shop.pay('ann', o.orderId);
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('PAID');
    expect(await shop.wallet('ann')).toMatchObject({ balanceCents: 300, frozenCents: 0 });
  });

  it('lets a tried wallet payment pay the order when a gateway success arrives, and refunds the gateway money', async () => {
    await shop.credit('bea', 700);
    const o = await shop.placed('bea', [{ sku: 'BOX', qty: 1 }]);
    await walletBranch(o);
    const res = await shop.callback({
      paymentId: `gw-${ulid()}`,
      orderId: o.orderId,
      amountCents: 700,
      status: 'SUCCEEDED',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ orderId: o.orderId, orderStatus: 'PAID', paymentStatus: 'REFUNDED' });
    // Paid once from the wallet; the gateway's 700 came back to the wallet.
    expect(await shop.wallet('bea')).toMatchObject({ balanceCents: 700, frozenCents: 0 });
  });

  it("never loses the coupon of an order refunded while its checkout's coupon confirm is still pending", async () => {
    await shop.credit('gil', 700);
    await shop.coupon('GIL-OFF', 'FIXED', 100, ['gil']);
    const o = await shop.placed('gil', [{ sku: 'BOX', qty: 1 }], { couponCode: 'GIL-OFF' });
    // The checkout's coupon confirm (FROZEN → USED) fails for a while; the other branches confirm.
    await t.db.query(
      `CREATE TRIGGER gil_refuse_use BEFORE UPDATE ON user_coupon FOR EACH ROW
       IF NEW.state = 'USED' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by test'; END IF`,
    );
    try {
      const paid = await shop.pay('gil', o.orderId);
      expect(paid.status).toBe(200);
      expect((await shop.order('gil', o.orderId)).status).toBe('PAID');
      expect(await shop.couponState('gil', 'GIL-OFF')).toBe('FROZEN');
      const early = await shop.cancel('gil', o.orderId);
      // Refunding now would "return" a coupon that is not used yet, and the pending confirm would use it after.
      expect({ status: early.status, error: early.body.error }).toEqual({ status: 409, error: 'CONFLICT' });
      expect((await shop.order('gil', o.orderId)).status).toBe('PAID');
    } finally {
      await t.db.query('DROP TRIGGER gil_refuse_use');
    }
    await t.db.query(`UPDATE tcc_transaction SET next_retry_at = UTC_TIMESTAMP(3) WHERE tx_id = ?`, [o.txId]);
    await shop.recoverAll();
    expect(await shop.couponState('gil', 'GIL-OFF')).toBe('USED');
    const refunded = await shop.cancel('gil', o.orderId);
    expect({ status: refunded.status, orderStatus: refunded.body.status }).toEqual({
      status: 200,
      orderStatus: 'REFUNDED',
    });
    await shop.recoverAll();
    expect(await shop.couponState('gil', 'GIL-OFF')).toBe('AVAILABLE');
    expect(await shop.wallet('gil')).toMatchObject({ balanceCents: 700, frozenCents: 0 });
  });

  it('answers a repeated pay of an order whose commit is still finishing with 200, never 402, and charges once', async () => {
    await shop.credit('hal', 700);
    const o = await shop.placed('hal', [{ sku: 'BOX', qty: 1 }]);
    // The order's confirm (→ PAID) fails for a while: the commit is decided, its second phase is not done.
    await t.db.query(
      `CREATE TRIGGER hal_refuse_paid BEFORE UPDATE ON orders FOR EACH ROW
       IF NEW.status = 'PAID' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by test'; END IF`,
    );
    try {
      expect((await shop.pay('hal', o.orderId)).status).toBe(200);
      expect(await shop.wallet('hal')).toMatchObject({ balanceCents: 0, frozenCents: 0 });
      const again = await shop.pay('hal', o.orderId);
      expect({ status: again.status, error: again.body.error }).toEqual({ status: 200, error: undefined });
    } finally {
      await t.db.query('DROP TRIGGER hal_refuse_paid');
    }
    await t.db.query(`UPDATE tcc_transaction SET next_retry_at = UTC_TIMESTAMP(3) WHERE tx_id = ?`, [o.txId]);
    await shop.recoverAll();
    expect((await shop.order('hal', o.orderId)).status).toBe('PAID');
    expect(await shop.wallet('hal')).toMatchObject({ balanceCents: 0, frozenCents: 0 });
  });

  it('answers a cancel whose rollback is decided but still finishing with 200 (repeat too); pay then answers 409', async () => {
    await shop.credit('ida', 700);
    const o = await shop.placed('ida', [{ sku: 'BOX', qty: 1 }]);
    const stock = await shop.stock('BOX');
    await t.db.query(
      `CREATE TRIGGER ida_refuse_cancel BEFORE UPDATE ON orders FOR EACH ROW
       IF NEW.status = 'CANCELLED' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by test'; END IF`,
    );
    try {
      const first = await shop.cancel('ida', o.orderId);
      expect({ status: first.status, error: first.body.error }).toEqual({ status: 200, error: undefined });
      const again = await shop.cancel('ida', o.orderId);
      expect({ status: again.status, error: again.body.error }).toEqual({ status: 200, error: undefined });
      const pay = await shop.pay('ida', o.orderId);
      expect({ status: pay.status, error: pay.body.error }).toEqual({ status: 409, error: 'ORDER_STATE_CONFLICT' });
    } finally {
      await t.db.query('DROP TRIGGER ida_refuse_cancel');
    }
    await t.db.query(`UPDATE tcc_transaction SET next_retry_at = UTC_TIMESTAMP(3) WHERE tx_id = ?`, [o.txId]);
    await shop.recoverAll();
    expect((await shop.order('ida', o.orderId)).status).toBe('CANCELLED');
    expect((await shop.stock('BOX')).reserved).toBe(stock.reserved - 1);
    expect(await shop.wallet('ida')).toMatchObject({ balanceCents: 700, frozenCents: 0 });
  });

  it('takes over a refund whose caller died before beginning it', async () => {
    await shop.credit('cid', 700);
    const o = await shop.placed('cid', [{ sku: 'BOX', qty: 1 }]);
    expect((await shop.pay('cid', o.orderId)).status).toBe(200);
    await t.db.query(
      `UPDATE orders SET refund_tx_id = ?, updated_at = UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE WHERE order_id = ?`,
      [ulid(), o.orderId],
    );
    const res = await shop.cancel('cid', o.orderId);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('REFUNDED');
    expect(await shop.wallet('cid')).toMatchObject({ balanceCents: 700 });
  });

  it('answers 409 CONFLICT (retry later) while a fresh refund claim of another caller is pending', async () => {
    await shop.credit('dee', 700);
    const o = await shop.placed('dee', [{ sku: 'BOX', qty: 1 }]);
    expect((await shop.pay('dee', o.orderId)).status).toBe(200);
    await t.db.query(`UPDATE orders SET refund_tx_id = ?, updated_at = UTC_TIMESTAMP(3) WHERE order_id = ?`, [
      ulid(),
      o.orderId,
    ]);
    const res = await shop.cancel('dee', o.orderId);
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('CONFLICT');
    expect((await shop.order('dee', o.orderId)).status).toBe('PAID');
    expect(await shop.wallet('dee')).toMatchObject({ balanceCents: 0 });
  });

  it('takes over a payment lock whose lease ran out', async () => {
    await shop.credit('eli', 700);
    const o = await shop.placed('eli', [{ sku: 'BOX', qty: 1 }]);
    await t.db.query(
      `UPDATE orders SET pay_lock_token = ?, pay_lock_until = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE order_id = ?`,
      [ulid(), o.orderId],
    );
    const res = await shop.pay('eli', o.orderId);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('PAID');
  });

  it('prices checkout from the current catalogue (never from the client)', async () => {
    expect((await t.request('PATCH', '/v1/admin/products/BOX', { body: { priceCents: 650 } })).status).toBe(200);
    const o = await shop.placed('fox', [{ sku: 'BOX', qty: 2 }]);
    expect(o).toMatchObject({
      totalCents: 1300,
      payableCents: 1300,
      items: [{ sku: 'BOX', qty: 2, unitPriceCents: 650 }],
    });
    expect((await t.request('PATCH', '/v1/admin/products/BOX', { body: { status: 'INACTIVE' } })).status).toBe(200);
    expect((await shop.place('fox', [{ sku: 'BOX', qty: 1 }])).body.error).toBe('CONFLICT');
    // An order placed before the product was withdrawn can still be paid.
    await shop.credit('fox', 1300);
    expect((await shop.pay('fox', o.orderId)).body.status).toBe('PAID');
  });

  it('flags an order whose status disagrees with its transaction (invariant 3)', async () => {
    expect((await t.request('PATCH', '/v1/admin/products/BOX', { body: { status: 'ACTIVE' } })).status).toBe(200);
    expect(await shop.audit()).toEqual({ ok: true, violations: [] });
    const o = await shop.placed('gus', [{ sku: 'BOX', qty: 1 }]);
    await t.db.query(`UPDATE orders SET status = 'PAID' WHERE order_id = ?`, [o.orderId]);
    const audit = await shop.audit();
    expect(audit.ok).toBe(false);
    expect(audit.violations).toContainEqual({
      invariant: 3,
      sku: null,
      warehouse: 'main',
      detail: `order ${o.orderId} is PAID but its checkout tx ${o.txId} is TRYING`,
    });
    await t.db.query(`UPDATE orders SET status = 'PENDING_PAYMENT' WHERE order_id = ?`, [o.orderId]);
    expect((await shop.audit()).ok).toBe(true);
  });
});
