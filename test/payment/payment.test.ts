import { createHmac } from 'crypto';
import { ulid } from 'ulid';
import { DomainError, ErrorCode, inTransaction } from '@app/core';
import {
  PAYMENT_PARTICIPANT,
  PaymentBranchPayload,
  PaymentParticipant,
  PaymentService,
  WalletService,
} from '@app/payment';
import { branchIdOf, TccCoordinator, type BranchContext } from '@app/tcc';
import { startTestApp, TestApp } from '../helpers/test-app';
import { WEBHOOK_SECRET } from '../helpers/test-env';

describe('payments', () => {
  let t: TestApp;
  let participant: PaymentParticipant;
  let paymentService: PaymentService;
  let wallets: WalletService;
  let coordinator: TccCoordinator;

  beforeAll(async () => {
    t = await startTestApp();
    participant = t.app.get(PaymentParticipant);
    paymentService = t.app.get(PaymentService);
    wallets = t.app.get(WalletService);
    coordinator = t.app.get(TccCoordinator);
  });

  afterAll(async () => {
    await t?.close();
  });

  const ctx = (txName = 'checkout'): BranchContext => {
    const txId = ulid();
    return { txId, branchId: branchIdOf(txId, PAYMENT_PARTICIPANT), txName };
  };
  const run = (step: 'try' | 'confirm' | 'cancel', c: BranchContext, payload: PaymentBranchPayload) =>
    inTransaction(t.db, (em) => participant[step](em, c, payload));
  const walletOf = (userId: string) => wallets.getWallet(userId);
  const paymentOfBranch = async (branchId: string) =>
    (await t.db.query('SELECT status, amount_cents FROM payment WHERE branch_id = ?', [branchId]))[0];
  const audit = async () =>
    (await t.request('GET', '/v1/admin/audit')).body as {
      ok: boolean;
      violations: Array<{ invariant: number; detail: string }>;
    };
  const wallet = (userId: string, orderId: string, amountCents: number) => ({
    kind: 'wallet' as const,
    userId,
    orderId,
    amountCents,
  });

  describe('wallet branch (participant called directly)', () => {
    it('try freezes the amount, confirm captures it', async () => {
      await wallets.credit('w1', 1000);
      const c = ctx();
      await run('try', c, wallet('w1', 'o-1', 400));
      expect(await walletOf('w1')).toEqual({ userId: 'w1', balanceCents: 600, frozenCents: 400 });
      expect(await paymentOfBranch(c.branchId)).toMatchObject({ status: 'FROZEN' });
      await run('confirm', c, wallet('w1', 'o-1', 400));
      expect(await walletOf('w1')).toEqual({ userId: 'w1', balanceCents: 600, frozenCents: 0 });
      expect(await paymentOfBranch(c.branchId)).toMatchObject({ status: 'CAPTURED' });
    });

    it('cancel puts the frozen amount back into the balance', async () => {
      await wallets.credit('w2', 1000);
      const c = ctx();
      await run('try', c, wallet('w2', 'o-2', 1000));
      expect(await walletOf('w2')).toEqual({ userId: 'w2', balanceCents: 0, frozenCents: 1000 });
      await run('cancel', c, wallet('w2', 'o-2', 1000));
      expect(await walletOf('w2')).toEqual({ userId: 'w2', balanceCents: 1000, frozenCents: 0 });
      expect(await paymentOfBranch(c.branchId)).toMatchObject({ status: 'FAILED' });
    });

    it('refuses an amount above the balance with 402 INSUFFICIENT_BALANCE and changes nothing', async () => {
      await wallets.credit('w3', 999);
      const c = ctx();
      const err = await run('try', c, wallet('w3', 'o-3', 1000)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe(ErrorCode.INSUFFICIENT_BALANCE);
      expect((err as DomainError).status).toBe(402);
      expect(await walletOf('w3')).toEqual({ userId: 'w3', balanceCents: 999, frozenCents: 0 });
      expect(await paymentOfBranch(c.branchId)).toBeUndefined();
    });

    it('refuses a user without a wallet with 402', async () => {
      await expect(run('try', ctx(), wallet('nowallet', 'o-4', 1))).rejects.toMatchObject({
        code: ErrorCode.INSUFFICIENT_BALANCE,
      });
    });

    it('refuses a malformed payload (negative amount) before moving money', async () => {
      await wallets.credit('w5', 100);
      await expect(run('try', ctx(), wallet('w5', 'o-5', -50))).rejects.toMatchObject({
        code: ErrorCode.VALIDATION_FAILED,
      });
      expect(await walletOf('w5')).toEqual({ userId: 'w5', balanceCents: 100, frozenCents: 0 });
    });

    it('20 concurrent freezes that together exceed the balance: exactly the affordable ones succeed', async () => {
      await wallets.credit('racer', 1000);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => run('try', ctx(), wallet('racer', `race-${i}`, 150))),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).toBe(6); // floor(1000 / 150)
      for (const r of refused) expect((r.reason as DomainError).code).toBe(ErrorCode.INSUFFICIENT_BALANCE);
      expect(await walletOf('racer')).toEqual({ userId: 'racer', balanceCents: 100, frozenCents: 900 });
      const [{ n }] = await t.db.query(
        `SELECT COUNT(*) AS n FROM payment WHERE user_id = 'racer' AND status = 'FROZEN'`,
      );
      expect(Number(n)).toBe(6);
      const [{ negative }] = await t.db.query(
        'SELECT COUNT(*) AS negative FROM wallet WHERE balance_cents < 0 OR frozen_cents < 0',
      );
      expect(Number(negative)).toBe(0);
    });
  });

  describe('one payment per order', () => {
    it('refuses a second payment of an order while the first holds or took its money', async () => {
      await wallets.credit('once', 1000);
      const first = ctx();
      await run('try', first, wallet('once', 'order-once', 100));
      await expect(run('try', ctx(), wallet('once', 'order-once', 100))).rejects.toMatchObject({
        code: ErrorCode.ORDER_STATE_CONFLICT,
      });
      const gateway = {
        kind: 'external' as const,
        paymentId: 'gw-once',
        userId: 'once',
        orderId: 'order-once',
        amountCents: 100,
      };
      await expect(run('try', ctx(), gateway)).rejects.toMatchObject({ code: ErrorCode.ORDER_STATE_CONFLICT });
      expect(await paymentService.findPayment('gw-once')).toBeNull();
      expect(await walletOf('once')).toEqual({ userId: 'once', balanceCents: 900, frozenCents: 100 });

      await run('confirm', first, wallet('once', 'order-once', 100));
      await expect(run('try', ctx(), wallet('once', 'order-once', 100))).rejects.toMatchObject({
        code: ErrorCode.ORDER_STATE_CONFLICT,
      });
      expect(await walletOf('once')).toEqual({ userId: 'once', balanceCents: 900, frozenCents: 0 });
    });

    it('allows paying again after the first payment was released', async () => {
      await wallets.credit('again', 1000);
      const first = ctx();
      await run('try', first, wallet('again', 'order-again', 400));
      await run('cancel', first, wallet('again', 'order-again', 400));
      await run('try', ctx(), wallet('again', 'order-again', 400));
      expect(await walletOf('again')).toEqual({ userId: 'again', balanceCents: 600, frozenCents: 400 });
    });

    it('lets exactly one of 10 concurrent payments of one order freeze money', async () => {
      await wallets.credit('dup', 10_000);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => run('try', ctx(), wallet('dup', 'order-dup', 500))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
        expect((r.reason as DomainError).code).toBe(ErrorCode.ORDER_STATE_CONFLICT);
      }
      expect(await walletOf('dup')).toEqual({ userId: 'dup', balanceCents: 9500, frozenCents: 500 });
    });
  });

  describe('through the TCC coordinator', () => {
    it('pay = try then commit: the money is captured', async () => {
      await wallets.credit('tc1', 5000);
      const txId = await coordinator.begin({ name: 'checkout' });
      const branchId = await coordinator.tryBranch(txId, 'payment', wallet('tc1', 'order-tc1', 3000));
      expect(await walletOf('tc1')).toEqual({ userId: 'tc1', balanceCents: 2000, frozenCents: 3000 });
      expect((await coordinator.commit(txId)).status).toBe('CONFIRMED');
      expect(await walletOf('tc1')).toEqual({ userId: 'tc1', balanceCents: 2000, frozenCents: 0 });
      expect(await paymentOfBranch(branchId)).toMatchObject({ status: 'CAPTURED' });
    });

    it('rollback releases the frozen money', async () => {
      await wallets.credit('tc2', 5000);
      const txId = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(txId, 'payment', wallet('tc2', 'order-tc2', 5000));
      expect((await coordinator.rollback(txId, 'USER')).status).toBe('CANCELLED');
      expect(await walletOf('tc2')).toEqual({ userId: 'tc2', balanceCents: 5000, frozenCents: 0 });
    });

    it('an insufficient balance reaches the caller of tryBranch as 402, and the order can be paid later', async () => {
      await wallets.credit('tc3', 100);
      const txId = await coordinator.begin({ name: 'checkout' });
      await expect(
        coordinator.tryBranch(txId, 'payment', wallet('tc3', 'order-tc3', 500), { key: 'a1' }),
      ).rejects.toMatchObject({
        code: ErrorCode.INSUFFICIENT_BALANCE,
      });
      await wallets.credit('tc3', 400);
      await coordinator.tryBranch(txId, 'payment', wallet('tc3', 'order-tc3', 500), { key: 'a2' });
      expect(await walletOf('tc3')).toEqual({ userId: 'tc3', balanceCents: 0, frozenCents: 500 });
    });

    it('20 concurrent pays of one wallet through the coordinator never overdraw it', async () => {
      await wallets.credit('tc4', 1000);
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const txId = await coordinator.begin({ name: 'checkout' });
          try {
            await coordinator.tryBranch(txId, 'payment', wallet('tc4', `order-tc4-${i}`, 300));
            await coordinator.commit(txId);
            return 'paid';
          } catch (err) {
            await coordinator.rollback(txId, 'TRY_FAILED');
            return (err as DomainError).code;
          }
        }),
      );
      expect(outcomes.filter((o) => o === 'paid')).toHaveLength(3);
      expect(outcomes.filter((o) => o === ErrorCode.INSUFFICIENT_BALANCE)).toHaveLength(17);
      expect(await walletOf('tc4')).toEqual({ userId: 'tc4', balanceCents: 100, frozenCents: 0 });
    });
  });

  describe('external branch', () => {
    const external = (paymentId: string, orderId: string, amountCents = 800) => ({
      kind: 'external' as const,
      paymentId,
      userId: 'ext',
      orderId,
      amountCents,
    });

    it('records a gateway payment PENDING on try and CAPTURED on confirm', async () => {
      const c = ctx();
      await run('try', c, external('gw-1', 'o-ext-1'));
      expect((await paymentService.findPayment('gw-1'))?.status).toBe('PENDING');
      await run('confirm', c, external('gw-1', 'o-ext-1'));
      expect(await paymentService.findPayment('gw-1')).toMatchObject({
        paymentId: 'gw-1',
        orderId: 'o-ext-1',
        userId: 'ext',
        method: 'EXTERNAL',
        amountCents: 800,
        status: 'CAPTURED',
        txId: c.txId,
      });
      expect(await walletOf('ext')).toEqual({ userId: 'ext', balanceCents: 0, frozenCents: 0 });
    });

    it('gives the money to the wallet on cancel: the gateway has it, the order does not', async () => {
      const c = ctx();
      const payload = {
        kind: 'external' as const,
        paymentId: 'gw-2',
        userId: 'ext2',
        orderId: 'o-ext-2',
        amountCents: 650,
      };
      await run('try', c, payload);
      await run('cancel', c, payload);
      expect((await paymentService.findPayment('gw-2'))?.status).toBe('REFUNDED');
      expect(await walletOf('ext2')).toEqual({ userId: 'ext2', balanceCents: 650, frozenCents: 0 });
      const refunds = await t.db.query(`SELECT amount_cents, reason FROM payment_refund WHERE payment_id = 'gw-2'`);
      expect(refunds).toEqual([{ amount_cents: 650, reason: 'LATE_PAYMENT' }]);
      // The callback's follow-up recordLatePayment then changes nothing.
      expect((await paymentService.recordLatePayment('gw-2', 'o-ext-2', 'ext2', 650)).status).toBe('REFUNDED');
      expect(await walletOf('ext2')).toEqual({ userId: 'ext2', balanceCents: 650, frozenCents: 0 });
    });

    it('a rolled-back checkout with a gateway payment refunds it through the coordinator', async () => {
      const txId = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(
        txId,
        'payment',
        { kind: 'external', paymentId: 'gw-rb', userId: 'ext3', orderId: 'o-ext-rb', amountCents: 300 },
        { key: 'ext-gw-rb' },
      );
      await coordinator.rollback(txId, 'EXPIRED');
      expect((await paymentService.findPayment('gw-rb'))?.status).toBe('REFUNDED');
      expect(await walletOf('ext3')).toEqual({ userId: 'ext3', balanceCents: 300, frozenCents: 0 });
    });

    it('refuses a payment id that is already recorded', async () => {
      await run('try', ctx(), external('gw-3', 'o-ext-3'));
      await expect(run('try', ctx(), external('gw-3', 'o-ext-3'))).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
    });

    it('finds nothing for an unknown or absurd payment id', async () => {
      expect(await paymentService.findPayment('nope')).toBeNull();
      expect(await paymentService.findPayment('x'.repeat(1000))).toBeNull();
    });
  });

  describe('refund branch', () => {
    it('gives a captured wallet payment back to the wallet and marks it REFUNDED', async () => {
      await wallets.credit('rf1', 2000);
      const checkout = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(checkout, 'payment', wallet('rf1', 'order-rf1', 1500));
      await coordinator.commit(checkout);
      expect(await walletOf('rf1')).toEqual({ userId: 'rf1', balanceCents: 500, frozenCents: 0 });

      const refund = await coordinator.begin({ name: 'refund' });
      await coordinator.tryBranch(refund, 'payment', {
        kind: 'refund',
        userId: 'rf1',
        orderId: 'order-rf1',
        amountCents: 1500,
      });
      await coordinator.commit(refund);
      expect(await walletOf('rf1')).toEqual({ userId: 'rf1', balanceCents: 2000, frozenCents: 0 });
      const [payment] = await paymentService.findPaymentsOfOrder('order-rf1');
      expect(payment.status).toBe('REFUNDED');
      const refunds = await t.db.query(
        `SELECT amount_cents, reason, tx_id FROM payment_refund WHERE order_id = 'order-rf1'`,
      );
      expect(refunds).toEqual([{ amount_cents: 1500, reason: 'ORDER_REFUND', tx_id: refund }]);
    });

    it('refunds a captured gateway payment into the wallet', async () => {
      const c = ctx();
      const payload = {
        kind: 'external' as const,
        paymentId: 'gw-rf2',
        userId: 'rf2',
        orderId: 'order-rf2',
        amountCents: 900,
      };
      await run('try', c, payload);
      await run('confirm', c, payload);
      const refund = await coordinator.begin({ name: 'refund' });
      await coordinator.tryBranch(refund, 'payment', {
        kind: 'refund',
        userId: 'rf2',
        orderId: 'order-rf2',
        amountCents: 900,
      });
      await coordinator.commit(refund);
      expect(await walletOf('rf2')).toEqual({ userId: 'rf2', balanceCents: 900, frozenCents: 0 });
      expect((await paymentService.findPayment('gw-rf2'))?.status).toBe('REFUNDED');
    });

    it('refuses to refund an order without a captured payment, and never refunds twice', async () => {
      const none = await coordinator.begin({ name: 'refund' });
      await expect(
        coordinator.tryBranch(none, 'payment', {
          kind: 'refund',
          userId: 'rf3',
          orderId: 'never-paid',
          amountCents: 100,
        }),
      ).rejects.toMatchObject({ code: ErrorCode.ORDER_STATE_CONFLICT });
      await coordinator.rollback(none, 'TRY_FAILED');

      await wallets.credit('rf3', 100);
      const checkout = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(checkout, 'payment', wallet('rf3', 'order-rf3', 100));
      await coordinator.commit(checkout);
      // Two refund transactions tried while the payment is captured: only one can give the money back.
      const a = await coordinator.begin({ name: 'refund' });
      const b = await coordinator.begin({ name: 'refund' });
      const refund = { kind: 'refund' as const, userId: 'rf3', orderId: 'order-rf3', amountCents: 100 };
      await coordinator.tryBranch(a, 'payment', refund);
      await coordinator.tryBranch(b, 'payment', refund);
      await Promise.all([coordinator.commit(a), coordinator.commit(b)]);
      expect(await walletOf('rf3')).toEqual({ userId: 'rf3', balanceCents: 100, frozenCents: 0 });
      const [{ n }] = await t.db.query(`SELECT COUNT(*) AS n FROM payment_refund WHERE order_id = 'order-rf3'`);
      expect(Number(n)).toBe(1);
    });
  });

  describe('late payment', () => {
    it('records a success for an order no longer payable as REFUNDED and credits the wallet once', async () => {
      const first = await paymentService.recordLatePayment('gw-late-1', 'order-late-1', 'late1', 1200);
      expect(first).toMatchObject({
        paymentId: 'gw-late-1',
        status: 'REFUNDED',
        method: 'EXTERNAL',
        amountCents: 1200,
      });
      const again = await paymentService.recordLatePayment('gw-late-1', 'order-late-1', 'late1', 1200);
      expect(again.status).toBe('REFUNDED');
      expect(await walletOf('late1')).toEqual({ userId: 'late1', balanceCents: 1200, frozenCents: 0 });
    });

    it('credits once under 10 concurrent repeats', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => paymentService.recordLatePayment('gw-late-2', 'order-late-2', 'late2', 300)),
      );
      for (const r of results) expect(r.status).toBe('REFUNDED');
      expect(await walletOf('late2')).toEqual({ userId: 'late2', balanceCents: 300, frozenCents: 0 });
      const [{ n }] = await t.db.query(`SELECT COUNT(*) AS n FROM payment_refund WHERE payment_id = 'gw-late-2'`);
      expect(Number(n)).toBe(1);
    });

    it('refunds a FAILED gateway payment once', async () => {
      const c = ctx();
      const payload = {
        kind: 'external' as const,
        paymentId: 'gw-late-3',
        userId: 'late3',
        orderId: 'order-late-3',
        amountCents: 450,
      };
      await run('try', c, payload);
      // A FAILED external payment is not written by this module; should one exist, the money it stands for is refunded.
      await t.db.query(`UPDATE payment SET status = 'FAILED' WHERE payment_id = 'gw-late-3'`);
      expect((await paymentService.recordLatePayment('gw-late-3', 'order-late-3', 'late3', 450)).status).toBe(
        'REFUNDED',
      );
      await paymentService.recordLatePayment('gw-late-3', 'order-late-3', 'late3', 450);
      expect(await walletOf('late3')).toEqual({ userId: 'late3', balanceCents: 450, frozenCents: 0 });
    });

    it('leaves a PENDING gateway payment to its transaction', async () => {
      const c = ctx();
      const payload = {
        kind: 'external' as const,
        paymentId: 'gw-late-5',
        userId: 'late5',
        orderId: 'order-late-5',
        amountCents: 20,
      };
      await run('try', c, payload);
      expect((await paymentService.recordLatePayment('gw-late-5', 'order-late-5', 'late5', 20)).status).toBe('PENDING');
      expect(await walletOf('late5')).toEqual({ userId: 'late5', balanceCents: 0, frozenCents: 0 });
      await run('cancel', c, payload);
      expect(await walletOf('late5')).toEqual({ userId: 'late5', balanceCents: 20, frozenCents: 0 });
    });

    it('does not touch a captured payment and refuses a payment id recorded for another order or amount', async () => {
      const c = ctx();
      const payload = {
        kind: 'external' as const,
        paymentId: 'gw-late-4',
        userId: 'late4',
        orderId: 'order-late-4',
        amountCents: 10,
      };
      await run('try', c, payload);
      await run('confirm', c, payload);
      expect((await paymentService.recordLatePayment('gw-late-4', 'order-late-4', 'late4', 10)).status).toBe(
        'CAPTURED',
      );
      await expect(paymentService.recordLatePayment('gw-late-4', 'order-late-4', 'late4', 11)).rejects.toMatchObject({
        code: ErrorCode.CONFLICT,
      });
      await expect(paymentService.recordLatePayment('gw-late-4', 'other-order', 'late4', 10)).rejects.toMatchObject({
        code: ErrorCode.CONFLICT,
      });
      expect(await walletOf('late4')).toEqual({ userId: 'late4', balanceCents: 0, frozenCents: 0 });
    });
  });

  describe('webhook signature', () => {
    it('verifies with the configured secret and the default 300 s window', () => {
      const body = Buffer.from('{"paymentId":"p"}');
      const sign = (t: number) =>
        `t=${t},v1=${createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${body.toString()}`).digest('hex')}`;
      const now = Math.floor(Date.now() / 1000);
      expect(paymentService.checkWebhookSignature(body, sign(now))).toBe('valid');
      expect(paymentService.checkWebhookSignature(body, sign(now - 290))).toBe('valid');
      expect(paymentService.checkWebhookSignature(body, sign(now - 310))).toBe('stale');
      expect(paymentService.checkWebhookSignature(body, sign(now).replace('v1=', 'v1=0'))).toBe('malformed');
      expect(paymentService.checkWebhookSignature(Buffer.from('{"paymentId":"q"}'), sign(now))).toBe('mismatch');
      expect(paymentService.checkWebhookSignature(body, undefined)).toBe('malformed');
    });
  });

  describe('money conservation (invariant 6)', () => {
    it('holds after a mix of credits, pays, cancels, refunds and late payments, and catches a change made behind its back', async () => {
      const before = await audit();
      expect(before.violations.filter((v) => v.invariant === 6)).toEqual([]);

      // One more mix, left partly open (a frozen payment in an open tx).
      await wallets.credit('mix', 10_000);
      const paid = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(paid, 'payment', wallet('mix', 'order-mix-1', 2500));
      await coordinator.commit(paid);
      const open = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(open, 'payment', wallet('mix', 'order-mix-2', 1000));
      const refund = await coordinator.begin({ name: 'refund' });
      await coordinator.tryBranch(refund, 'payment', {
        kind: 'refund',
        userId: 'mix',
        orderId: 'order-mix-1',
        amountCents: 2500,
      });
      await coordinator.commit(refund);
      await paymentService.recordLatePayment('gw-mix', 'order-mix-3', 'mix', 700);
      expect(await walletOf('mix')).toEqual({ userId: 'mix', balanceCents: 10_000 - 1000 + 700, frozenCents: 1000 });

      const result = await audit();
      expect(result.violations.filter((v) => v.invariant === 6)).toEqual([]);

      const [totals] = await t.db.query(`
        SELECT (SELECT SUM(amount_cents) FROM wallet_credit) AS credited,
               (SELECT SUM(balance_cents) FROM wallet) AS balances,
               (SELECT SUM(frozen_cents) FROM wallet) AS frozen,
               (SELECT SUM(amount_cents) FROM payment WHERE method = 'WALLET' AND status IN ('CAPTURED','REFUNDED')) AS captured,
               (SELECT SUM(amount_cents) FROM payment_refund) AS refunded`);
      expect(Number(totals.credited)).toBe(
        Number(totals.balances) + Number(totals.frozen) + Number(totals.captured) - Number(totals.refunded),
      );

      // Money appearing from nowhere is caught...
      await t.db.query(`UPDATE wallet SET balance_cents = balance_cents + 1 WHERE user_id = 'mix'`);
      const minted = await audit();
      expect(minted.ok).toBe(false);
      expect(minted.violations.some((v) => v.invariant === 6 && v.detail.startsWith('money not conserved'))).toBe(true);
      await t.db.query(`UPDATE wallet SET balance_cents = balance_cents - 1 WHERE user_id = 'mix'`);

      // ... and so is frozen money no payment accounts for.
      await t.db.query(
        `UPDATE wallet SET frozen_cents = frozen_cents + 5, balance_cents = balance_cents - 5 WHERE user_id = 'mix'`,
      );
      const drifted = await audit();
      expect(drifted.violations).toContainEqual(
        expect.objectContaining({
          invariant: 6,
          detail: 'wallet of mix has frozen 1005 but its FROZEN payments total 1000',
        }),
      );
      await t.db.query(
        `UPDATE wallet SET frozen_cents = frozen_cents - 5, balance_cents = balance_cents + 5 WHERE user_id = 'mix'`,
      );

      await coordinator.rollback(open, 'USER');
      expect(await walletOf('mix')).toEqual({ userId: 'mix', balanceCents: 10_700, frozenCents: 0 });
      const after = await audit();
      expect(after.violations.filter((v) => v.invariant === 6)).toEqual([]);
    });

    it('reports a payment still frozen after its transaction ended (invariant 3)', async () => {
      await wallets.credit('stuck', 100);
      const txId = await coordinator.begin({ name: 'checkout' });
      const branchId = await coordinator.tryBranch(txId, 'payment', wallet('stuck', 'order-stuck', 100));
      await coordinator.rollback(txId, 'EXPIRED');
      // Simulate a lost release: put the hold back as if the cancel had never run.
      await t.db.query(`UPDATE payment SET status = 'FROZEN' WHERE branch_id = ?`, [branchId]);
      await t.db.query(`UPDATE wallet SET balance_cents = 0, frozen_cents = 100 WHERE user_id = 'stuck'`);
      const result = await audit();
      expect(result.violations).toContainEqual(
        expect.objectContaining({ invariant: 3, detail: expect.stringContaining(`tx ${txId} is CANCELLED`) }),
      );
      await t.db.query(`UPDATE payment SET status = 'FAILED' WHERE branch_id = ?`, [branchId]);
      await t.db.query(`UPDATE wallet SET balance_cents = 100, frozen_cents = 0 WHERE user_id = 'stuck'`);
      expect((await audit()).violations.filter((v) => v.detail.includes(txId))).toEqual([]);
    });
  });

  it('counts payments by method and outcome in /metrics', async () => {
    const res = await t.request('GET', '/metrics', { as: 'none' });
    expect(res.body).toMatch(/payments_total\{method="WALLET",outcome="captured"\} [1-9]/);
    expect(res.body).toMatch(/payments_total\{method="WALLET",outcome="insufficient_balance"\} [1-9]/);
    expect(res.body).toMatch(/payments_total\{method="EXTERNAL",outcome="late_refunded"\} [1-9]/);
  });
});
