import { createHmac } from 'crypto';
import { ulid } from 'ulid';
import { signWebhookBody } from '@app/payment';
import { startTestApp, TestApp } from '../helpers/test-app';
import { WEBHOOK_SECRET } from '../helpers/test-env';
import { Shop, sleep, statusCounts } from './shop';

/** POST /v1/payments/callback and the payment deadline (short here: 3 s). */
describe('payment callback and expiry, end to end', () => {
  const TIMEOUT_SEC = 3;
  const TOLERANCE_SEC = 120; // not the default, to show the setting is honoured
  let t: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    t = await startTestApp({
      env: { ORDER_PAYMENT_TIMEOUT_SEC: String(TIMEOUT_SEC), PAYMENT_WEBHOOK_TOLERANCE_SEC: String(TOLERANCE_SEC) },
    });
    shop = new Shop(t);
    await shop.product('GIFT', 2500);
    await shop.inbound('GIFT', 100);
  });

  afterAll(async () => {
    await t?.close();
  });

  const paymentRows = async (paymentId: string) =>
    t.db.query('SELECT status, amount_cents FROM payment WHERE payment_id = ?', [paymentId]);

  const nowSec = () => Math.floor(Date.now() / 1000);

  it('refuses a missing, malformed or wrong signature with 401 and changes nothing', async () => {
    const o = await shop.placed('amy', [{ sku: 'GIFT', qty: 1 }]);
    const body = { paymentId: 'pay-sig', orderId: o.orderId, amountCents: 2500, status: 'SUCCEEDED' };
    const raw = JSON.stringify(body);
    const good = signWebhookBody(WEBHOOK_SECRET, raw).split(',v1=')[1];
    const now = nowSec();
    const oldForm = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex')}`;
    for (const signature of [
      '',
      oldForm, // the former format, correctly signed: refused
      `t=${now}`,
      `v1=${good}`,
      `v1=${good},t=${now}`,
      `t=${now},v1=${'0'.repeat(64)}`,
      `t=${now},v1=zz`,
      'md5=abc',
    ]) {
      const res = await shop.callback(body, signature);
      expect({ signature, status: res.status }).toEqual({ signature, status: 401 });
      expect(res.body).toMatchObject({ statusCode: 401, error: 'UNAUTHORIZED' });
    }
    // Signed over a different body than the one sent.
    const other = JSON.stringify({ ...body, amountCents: 1 });
    expect((await shop.callback(body, signWebhookBody(WEBHOOK_SECRET, other))).status).toBe(401);
    // Unsigned garbage is 401 too (the signature is checked before the body).
    const garbage = await t.request('POST', '/v1/payments/callback', { as: 'none', body: { nonsense: true } });
    expect(garbage.status).toBe(401);
    expect(await paymentRows('pay-sig')).toEqual([]);
    expect((await shop.order('amy', o.orderId)).status).toBe('PENDING_PAYMENT');
  });

  it('refuses a correctly signed callback whose timestamp is outside PAYMENT_WEBHOOK_TOLERANCE_SEC, either way', async () => {
    const o = await shop.placed('abe', [{ sku: 'GIFT', qty: 1 }]);
    const body = { paymentId: `pay-${ulid()}`, orderId: o.orderId, amountCents: 2500, status: 'SUCCEEDED' };
    const raw = JSON.stringify(body);
    for (const skew of [-(TOLERANCE_SEC + 10), TOLERANCE_SEC + 10, -3600 * 24]) {
      const res = await shop.callback(body, signWebhookBody(WEBHOOK_SECRET, raw, nowSec() + skew));
      expect({ skew, status: res.status }).toEqual({ skew, status: 401 });
      expect(res.body).toEqual({ statusCode: 401, error: 'UNAUTHORIZED', message: expect.stringMatching(/timestamp/) });
    }
    expect(await paymentRows(body.paymentId)).toEqual([]);
    expect((await shop.order('abe', o.orderId)).status).toBe('PENDING_PAYMENT');

    // Inside the window, either way, it is applied (once).
    const late = await shop.callback(body, signWebhookBody(WEBHOOK_SECRET, raw, nowSec() - (TOLERANCE_SEC - 10)));
    expect(late.body).toEqual({ orderId: o.orderId, orderStatus: 'PAID', paymentStatus: 'CAPTURED' });
    const early = await shop.callback(body, signWebhookBody(WEBHOOK_SECRET, raw, nowSec() + (TOLERANCE_SEC - 10)));
    expect(early.body).toEqual(late.body);
    expect(await paymentRows(body.paymentId)).toEqual([{ status: 'CAPTURED', amount_cents: 2500 }]);
  });

  it('captures a success: order PAID, payment CAPTURED; a replay answers the same with one effect', async () => {
    const o = await shop.placed('ben', [{ sku: 'GIFT', qty: 2 }]);
    const stock = await shop.stock('GIFT');
    const body = { paymentId: `pay-${ulid()}`, orderId: o.orderId, amountCents: 5000, status: 'SUCCEEDED' };
    const first = await shop.callback(body);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ orderId: o.orderId, orderStatus: 'PAID', paymentStatus: 'CAPTURED' });
    expect((await shop.order('ben', o.orderId)).status).toBe('PAID');
    expect(await shop.stock('GIFT')).toMatchObject({ onHand: stock.onHand - 2, reserved: stock.reserved - 2 });

    const replays = await Promise.all(Array.from({ length: 5 }, () => shop.callback(body)));
    for (const r of replays) expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: first.body });
    expect(await paymentRows(body.paymentId)).toEqual([{ status: 'CAPTURED', amount_cents: 5000 }]);
    expect(await shop.wallet('ben')).toMatchObject({ balanceCents: 0, frozenCents: 0 });
    expect((await shop.stock('GIFT')).onHand).toBe(stock.onHand - 2);
  });

  it('applies 10 concurrent deliveries of one success once, answering CAPTURED to each (12 orders)', async () => {
    for (let k = 0; k < 12; k++) {
      const o = await shop.placed(`cleo${k}`, [{ sku: 'GIFT', qty: 1 }]);
      const body = { paymentId: `pay-${ulid()}`, orderId: o.orderId, amountCents: 2500, status: 'SUCCEEDED' };
      const results = await Promise.all(Array.from({ length: 10 }, () => shop.callback(body)));
      expect(statusCounts(results)).toEqual({ '200': 10 });
      for (const r of results)
        expect(r.body).toEqual({ orderId: o.orderId, orderStatus: 'PAID', paymentStatus: 'CAPTURED' });
      expect(await paymentRows(body.paymentId)).toEqual([{ status: 'CAPTURED', amount_cents: 2500 }]);
      expect(await shop.wallet(`cleo${k}`)).toMatchObject({ balanceCents: 0, frozenCents: 0 });
    }
  });

  it('refuses an amount mismatch with 409 and an unknown order with 404', async () => {
    const o = await shop.placed('dan', [{ sku: 'GIFT', qty: 1 }]);
    const mismatch = await shop.callback({
      paymentId: 'pay-mm',
      orderId: o.orderId,
      amountCents: 2499,
      status: 'SUCCEEDED',
    });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body).toMatchObject({
      statusCode: 409,
      error: 'CONFLICT',
      details: { expectedCents: 2500, amountCents: 2499 },
    });
    expect(await paymentRows('pay-mm')).toEqual([]);
    expect((await shop.order('dan', o.orderId)).status).toBe('PENDING_PAYMENT');
    const unknown = await shop.callback({
      paymentId: 'pay-unknown',
      orderId: ulid(),
      amountCents: 1,
      status: 'SUCCEEDED',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('NOT_FOUND');
  });

  it('answers 400 to a signed but malformed body', async () => {
    const o = await shop.placed('eve', [{ sku: 'GIFT', qty: 1 }]);
    const good = { paymentId: 'pay-bad', orderId: o.orderId, amountCents: 2500, status: 'SUCCEEDED' };
    for (const body of [
      {},
      { ...good, status: 'MAYBE' },
      { ...good, amountCents: -1 },
      { ...good, amountCents: 1.5 },
      { ...good, amountCents: '2500' },
      { ...good, paymentId: '' },
      { ...good, paymentId: 'has space' },
      { ...good, orderId: 'not-a-ulid' },
      { ...good, extra: 1 },
    ]) {
      const res = await shop.callback(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.error).toBe('VALIDATION_FAILED');
    }
    expect((await shop.order('eve', o.orderId)).status).toBe('PENDING_PAYMENT');
  });

  it('changes nothing on FAILED; the order stays payable', async () => {
    const o = await shop.placed('fay', [{ sku: 'GIFT', qty: 1 }]);
    const failed = await shop.callback({
      paymentId: 'pay-f1',
      orderId: o.orderId,
      amountCents: 2500,
      status: 'FAILED',
    });
    expect(failed.status).toBe(200);
    expect(failed.body).toEqual({ orderId: o.orderId, orderStatus: 'PENDING_PAYMENT', paymentStatus: 'FAILED' });
    expect((await shop.order('fay', o.orderId)).status).toBe('PENDING_PAYMENT');
    const ok = await shop.callback({ paymentId: 'pay-f2', orderId: o.orderId, amountCents: 2500, status: 'SUCCEEDED' });
    expect(ok.body).toEqual({ orderId: o.orderId, orderStatus: 'PAID', paymentStatus: 'CAPTURED' });
  });

  it('refunds a second gateway success for an order already paid', async () => {
    const o = await shop.placed('gil', [{ sku: 'GIFT', qty: 1 }]);
    await shop.callback({ paymentId: 'pay-g1', orderId: o.orderId, amountCents: 2500, status: 'SUCCEEDED' });
    const second = await shop.callback({
      paymentId: 'pay-g2',
      orderId: o.orderId,
      amountCents: 2500,
      status: 'SUCCEEDED',
    });
    expect(second.body).toEqual({ orderId: o.orderId, orderStatus: 'PAID', paymentStatus: 'REFUNDED' });
    expect(await shop.wallet('gil')).toMatchObject({ balanceCents: 2500 });
  });

  describe('past the payment deadline', () => {
    // Three orders placed together share one wait for the deadline.
    let hal: any;
    let ida: any;
    let jon: any;
    let stockBefore: { onHand: number };

    beforeAll(async () => {
      await shop.recoverAll();
      stockBefore = await shop.stock('GIFT');
      [hal, ida, jon] = await Promise.all([
        shop.placed('hal', [{ sku: 'GIFT', qty: 3 }]),
        shop.placed('ida', [{ sku: 'GIFT', qty: 1 }]),
        shop.placed('jon', [{ sku: 'GIFT', qty: 1 }]),
      ]);
      await shop.credit('hal', 10_000);
      const latest = Math.max(...[hal, ida, jon].map((o) => Date.parse(o.expiresAt)));
      await sleep(Math.max(0, latest - Date.now() + 100));
    });

    it('refunds a success past the deadline even before the recovery job ran', async () => {
      const late = await shop.callback({
        paymentId: `pay-${ulid()}`,
        orderId: jon.orderId,
        amountCents: 2500,
        status: 'SUCCEEDED',
      });
      expect(late.body).toEqual({ orderId: jon.orderId, orderStatus: 'EXPIRED', paymentStatus: 'REFUNDED' });
      expect(await shop.wallet('jon')).toMatchObject({ balanceCents: 2500 });
    });

    it('expires an unpaid order through the recovery job: stock back, then pay/cancel answer 409', async () => {
      expect(Date.parse(hal.expiresAt) - Date.parse(hal.createdAt)).toBe(TIMEOUT_SEC * 1000);
      expect((await shop.order('hal', hal.orderId)).status).toBe('PENDING_PAYMENT');
      await shop.recoverAll();
      expect((await shop.order('hal', hal.orderId)).status).toBe('EXPIRED');
      expect(await shop.stock('GIFT')).toMatchObject({
        onHand: stockBefore.onHand,
        reserved: 0,
        available: stockBefore.onHand,
      });
      const pay = await shop.pay('hal', hal.orderId);
      expect(pay.status).toBe(409);
      expect(pay.body).toMatchObject({ error: 'ORDER_STATE_CONFLICT', details: { status: 'EXPIRED' } });
      expect((await shop.cancel('hal', hal.orderId)).body.error).toBe('ORDER_STATE_CONFLICT');
      expect(await shop.wallet('hal')).toMatchObject({ balanceCents: 10_000, frozenCents: 0 });
    });

    it('records and refunds a success that arrives after expiry, once; the order stays EXPIRED', async () => {
      expect((await shop.order('ida', ida.orderId)).status).toBe('EXPIRED');
      const body = { paymentId: `pay-${ulid()}`, orderId: ida.orderId, amountCents: 2500, status: 'SUCCEEDED' };
      const late = await shop.callback(body);
      expect(late.status).toBe(200);
      expect(late.body).toEqual({ orderId: ida.orderId, orderStatus: 'EXPIRED', paymentStatus: 'REFUNDED' });
      const replay = await shop.callback(body);
      expect(replay.body).toEqual(late.body);
      expect(await paymentRows(body.paymentId)).toEqual([{ status: 'REFUNDED', amount_cents: 2500 }]);
      expect(await shop.wallet('ida')).toMatchObject({ balanceCents: 2500, frozenCents: 0 });
      expect((await shop.order('ida', ida.orderId)).status).toBe('EXPIRED');
    });
  });

  it('refunds a success for a cancelled order', async () => {
    const o = await shop.placed('kim', [{ sku: 'GIFT', qty: 1 }]);
    expect((await shop.cancel('kim', o.orderId)).body.status).toBe('CANCELLED');
    const late = await shop.callback({
      paymentId: `pay-${ulid()}`,
      orderId: o.orderId,
      amountCents: 2500,
      status: 'SUCCEEDED',
    });
    expect(late.body).toEqual({ orderId: o.orderId, orderStatus: 'CANCELLED', paymentStatus: 'REFUNDED' });
    expect(await shop.wallet('kim')).toMatchObject({ balanceCents: 2500 });
  });

  it('leaves the books balanced', async () => {
    await shop.recoverAll();
    expect(await shop.audit()).toEqual({ ok: true, violations: [] });
    expect(await shop.nonTerminalTransactions()).toMatchObject({ CONFIRMING: 0, CANCELLING: 0 });
  });
});
