import { ulid } from 'ulid';
import { DomainError, ErrorCode, inTransaction } from '@app/core';
import { COUPON_PARTICIPANT, CouponParticipant, CouponService } from '@app/coupon';
import { branchIdOf, TccCoordinator, type BranchContext } from '@app/tcc';
import { startTestApp, TestApp } from '../helpers/test-app';

describe('coupons', () => {
  let t: TestApp;
  let coupons: CouponService;
  let participant: CouponParticipant;
  let coordinator: TccCoordinator;

  beforeAll(async () => {
    t = await startTestApp();
    coupons = t.app.get(CouponService);
    participant = t.app.get(CouponParticipant);
    coordinator = t.app.get(TccCoordinator);
  });

  afterAll(async () => {
    await t?.close();
  });

  const createCoupon = (body: unknown) => t.request('POST', '/v1/admin/coupons', { body });
  const issue = (code: string, userIds: unknown) =>
    t.request('POST', `/v1/admin/coupons/${code}/issue`, { body: { userIds } });
  const stateOf = async (userId: string, code: string): Promise<string | undefined> =>
    (await t.db.query('SELECT state FROM user_coupon WHERE user_id = ? AND code = ?', [userId, code]))[0]?.state;
  const ctx = (txId = ulid()): BranchContext => ({
    txId,
    branchId: branchIdOf(txId, COUPON_PARTICIPANT),
    txName: 'checkout',
  });

  describe('admin create', () => {
    it('creates a coupon and returns it with 201', async () => {
      const res = await createCoupon({
        code: 'FIX5',
        type: 'FIXED',
        value: 500,
        minOrderCents: 1000,
        validFrom: '2020-01-01T00:00:00Z',
        validTo: '2099-01-01T00:00:00.000+02:00',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        code: 'FIX5',
        type: 'FIXED',
        value: 500,
        minOrderCents: 1000,
        validFrom: '2020-01-01T00:00:00.000Z',
        validTo: '2098-12-31T22:00:00.000Z',
        createdAt: expect.any(String),
      });
    });

    it('defaults to no minimum and an open validity window', async () => {
      const res = await createCoupon({ code: 'PCT10', type: 'PERCENT', value: 10 });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ minOrderCents: 0, validFrom: null, validTo: null });
    });

    it('reads null for an optional field as absent (the shape the API answers with)', async () => {
      const res = await createCoupon({
        code: 'NULLS',
        type: 'FIXED',
        value: 3,
        minOrderCents: null,
        validFrom: null,
        validTo: null,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ code: 'NULLS', minOrderCents: 0, validFrom: null, validTo: null });
    });

    it('reads a date-time without a zone as UTC and a bare date as its UTC midnight', async () => {
      const res = await createCoupon({
        code: 'ZONELESS',
        type: 'FIXED',
        value: 1,
        validFrom: '2030-01-01',
        validTo: '2030-01-02T10:00:00',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ validFrom: '2030-01-01T00:00:00.000Z', validTo: '2030-01-02T10:00:00.000Z' });
    });

    it('refuses a duplicate code with 409 CONFLICT', async () => {
      await createCoupon({ code: 'DUP', type: 'FIXED', value: 1 });
      const res = await createCoupon({ code: 'DUP', type: 'PERCENT', value: 5 });
      expect(res.status).toBe(409);
      expect(res.body.error).toBe('CONFLICT');
    });

    it.each([
      ['PERCENT above 100', { code: 'B1', type: 'PERCENT', value: 101 }],
      ['PERCENT of 0', { code: 'B2', type: 'PERCENT', value: 0 }],
      ['FIXED of 0', { code: 'B3', type: 'FIXED', value: 0 }],
      ['negative value', { code: 'B4', type: 'FIXED', value: -5 }],
      ['fractional value', { code: 'B5', type: 'FIXED', value: 1.5 }],
      ['value as string', { code: 'B6', type: 'FIXED', value: '5' }],
      ['unknown type', { code: 'B7', type: 'BOGO', value: 5 }],
      ['missing type', { code: 'B8', value: 5 }],
      ['bad code', { code: 'has space', type: 'FIXED', value: 5 }],
      ['too long code', { code: 'x'.repeat(65), type: 'FIXED', value: 5 }],
      [
        'validFrom after validTo',
        { code: 'B9', type: 'FIXED', value: 5, validFrom: '2030-01-02T00:00:00Z', validTo: '2030-01-01T00:00:00Z' },
      ],
      [
        'validFrom equal to validTo',
        { code: 'B10', type: 'FIXED', value: 5, validFrom: '2030-01-01T00:00:00Z', validTo: '2030-01-01T00:00:00Z' },
      ],
      ['not an ISO date', { code: 'B11', type: 'FIXED', value: 5, validTo: 'next tuesday' }],
      ['impossible date', { code: 'B12', type: 'FIXED', value: 5, validTo: '2030-02-31T00:00:00Z' }],
      ['a year before 1970', { code: 'B15', type: 'FIXED', value: 5, validTo: '0001-01-01' }],
      ['a five-digit year', { code: 'B16', type: 'FIXED', value: 5, validTo: '99999-01-01T00:00:00Z' }],
      ['a body that is not an object', []],
      ['negative minimum', { code: 'B13', type: 'FIXED', value: 5, minOrderCents: -1 }],
      ['unknown field', { code: 'B14', type: 'FIXED', value: 5, stackable: true }],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_name, body) => {
      const res = await createCoupon(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('VALIDATION_FAILED');
      const [{ n }] = await t.db.query('SELECT COUNT(*) AS n FROM coupon WHERE code = ?', [
        (body as { code?: string }).code ?? '',
      ]);
      expect(Number(n)).toBe(0);
    });

    it('needs the admin scope', async () => {
      const res = await t.request('POST', '/v1/admin/coupons', {
        as: 'storefront',
        body: { code: 'X', type: 'FIXED', value: 1 },
      });
      expect(res.status).toBe(403);
    });
  });

  describe('admin issue', () => {
    beforeAll(async () => {
      await createCoupon({ code: 'ISSUE1', type: 'FIXED', value: 100 });
    });

    it('issues to each user once and counts only new holders', async () => {
      expect((await issue('ISSUE1', ['i1', 'i2', 'i2'])).body).toEqual({ issued: 2 });
      const again = await issue('ISSUE1', ['i2', 'i3']);
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ issued: 1 });
      const rows = await t.db.query(`SELECT user_id, state FROM user_coupon WHERE code = 'ISSUE1' ORDER BY user_id`);
      expect(rows).toEqual([
        { user_id: 'i1', state: 'AVAILABLE' },
        { user_id: 'i2', state: 'AVAILABLE' },
        { user_id: 'i3', state: 'AVAILABLE' },
      ]);
    });

    it('does not reset a coupon the user already used', async () => {
      await t.db.query(`UPDATE user_coupon SET state = 'USED' WHERE user_id = 'i1' AND code = 'ISSUE1'`);
      expect((await issue('ISSUE1', ['i1'])).body).toEqual({ issued: 0 });
      expect(await stateOf('i1', 'ISSUE1')).toBe('USED');
    });

    it('answers 404 for an unknown code', async () => {
      const res = await issue('NOPE', ['u1']);
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('NOT_FOUND');
    });

    it.each([
      ['an empty list', []],
      ['an invalid user id', ['ok', 'not ok']],
      ['a too long user id', ['u'.repeat(65)]],
      ['a non-string user id', [42]],
      ['more than 1000 users', Array.from({ length: 1001 }, (_, i) => `u${i}`)],
      ['not a list', 'u1'],
    ])('refuses %s with 400', async (_name, userIds) => {
      const res = await issue('ISSUE1', userIds);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('VALIDATION_FAILED');
    });

    it('issues to 1000 users in one call', async () => {
      const res = await issue(
        'ISSUE1',
        Array.from({ length: 1000 }, (_, i) => `bulk${i}`),
      );
      expect(res.body).toEqual({ issued: 1000 });
    });
  });

  describe('storefront list', () => {
    beforeAll(async () => {
      await createCoupon({ code: 'LIST-A', type: 'FIXED', value: 300, minOrderCents: 2000 });
      await createCoupon({ code: 'LIST-B', type: 'PERCENT', value: 20 });
      await issue('LIST-A', ['lister']);
      await issue('LIST-B', ['lister', 'other']);
    });

    it("lists only the caller's coupons", async () => {
      const res = await t.request('GET', '/v1/coupons', { user: 'lister' });
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(2);
      expect(res.body.page).toBe(1);
      expect(res.body.pageSize).toBe(50);
      const byCode = Object.fromEntries(res.body.items.map((c: { code: string }) => [c.code, c]));
      expect(byCode['LIST-A']).toEqual({
        code: 'LIST-A',
        type: 'FIXED',
        value: 300,
        state: 'AVAILABLE',
        minOrderCents: 2000,
        validFrom: null,
        validTo: null,
      });
      expect(byCode['LIST-B']).toMatchObject({ code: 'LIST-B', type: 'PERCENT', value: 20, state: 'AVAILABLE' });
    });

    it("never shows another user's coupons", async () => {
      const res = await t.request('GET', '/v1/coupons', { user: 'other' });
      expect(res.body.items.map((c: { code: string }) => c.code)).toEqual(['LIST-B']);
      const nobody = await t.request('GET', '/v1/coupons', { user: 'nobody' });
      expect(nobody.body).toEqual({ items: [], page: 1, pageSize: 50, total: 0 });
    });

    it('treats user ids that differ only in case as different users', async () => {
      expect((await t.request('GET', '/v1/coupons', { user: 'Lister' })).body.total).toBe(0);
    });

    it('pages and filters by state', async () => {
      const page = await t.request('GET', '/v1/coupons?page=2&pageSize=1', { user: 'lister' });
      expect(page.body.items).toHaveLength(1);
      expect(page.body.total).toBe(2);
      const used = await t.request('GET', '/v1/coupons?state=USED', { user: 'lister' });
      expect(used.body.total).toBe(0);
    });

    it('refuses a missing or invalid X-User-Id and bad paging with 400', async () => {
      expect((await t.request('GET', '/v1/coupons')).status).toBe(400);
      expect((await t.request('GET', '/v1/coupons', { user: 'bad user' })).status).toBe(400);
      expect((await t.request('GET', '/v1/coupons?pageSize=500', { user: 'lister' })).status).toBe(400);
      expect((await t.request('GET', '/v1/coupons?state=LOST', { user: 'lister' })).status).toBe(400);
    });

    it('needs the storefront scope', async () => {
      expect((await t.request('GET', '/v1/coupons', { as: 'admin', user: 'lister' })).status).toBe(403);
      expect((await t.request('GET', '/v1/coupons', { as: 'none', user: 'lister' })).status).toBe(401);
    });
  });

  describe('quote', () => {
    const now = new Date();
    beforeAll(async () => {
      await createCoupon({ code: 'Q-FIX', type: 'FIXED', value: 700, minOrderCents: 1000 });
      await createCoupon({ code: 'Q-PCT', type: 'PERCENT', value: 15 });
      await createCoupon({
        code: 'Q-OLD',
        type: 'FIXED',
        value: 100,
        validTo: new Date(now.getTime() - 1000).toISOString(),
      });
      await createCoupon({
        code: 'Q-NEW',
        type: 'FIXED',
        value: 100,
        validFrom: new Date(now.getTime() + 3_600_000).toISOString(),
      });
      for (const code of ['Q-FIX', 'Q-PCT', 'Q-OLD', 'Q-NEW']) await issue(code, ['quoter']);
    });

    const reasonOf = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe(ErrorCode.COUPON_UNAVAILABLE);
      return (err as DomainError).details?.reason;
    };

    it('quotes FIXED and PERCENT discounts', async () => {
      expect(await coupons.quote('quoter', 'Q-FIX', 5000, now)).toEqual({ discountCents: 700 });
      expect(await coupons.quote('quoter', 'Q-PCT', 999, now)).toEqual({ discountCents: 149 });
    });

    it('refuses below the minimum order', async () => {
      expect(await reasonOf(coupons.quote('quoter', 'Q-FIX', 999, now))).toBe('BELOW_MINIMUM');
    });

    it('refuses outside the validity window', async () => {
      expect(await reasonOf(coupons.quote('quoter', 'Q-OLD', 5000, now))).toBe('EXPIRED');
      expect(await reasonOf(coupons.quote('quoter', 'Q-NEW', 5000, now))).toBe('NOT_YET_VALID');
    });

    it('refuses a coupon not issued to the user, or unknown', async () => {
      expect(await reasonOf(coupons.quote('stranger', 'Q-FIX', 5000, now))).toBe('NOT_ISSUED');
      expect(await reasonOf(coupons.quote('quoter', 'NO-SUCH', 5000, now))).toBe('NOT_ISSUED');
      expect(await reasonOf(coupons.quote('quoter', 'x'.repeat(500), 5000, now))).toBe('NOT_ISSUED');
    });

    it('refuses a coupon that is frozen by a checkout', async () => {
      await createCoupon({ code: 'Q-FRZ', type: 'FIXED', value: 100 });
      await issue('Q-FRZ', ['quoter']);
      await inTransaction(t.db, (em) => participant.try(em, ctx(), { kind: 'use', userId: 'quoter', code: 'Q-FRZ' }));
      expect(await reasonOf(coupons.quote('quoter', 'Q-FRZ', 5000, now))).toBe('NOT_AVAILABLE');
    });
  });

  describe('participant (called directly)', () => {
    let n = 0;
    const fresh = async (over: Record<string, unknown> = {}) => {
      const code = `P${++n}`;
      await createCoupon({ code, type: 'FIXED', value: 100, ...over });
      await issue(code, ['pu']);
      return code;
    };
    const use = (code: string) => ({ kind: 'use' as const, userId: 'pu', code });

    it('try freezes, confirm uses, and a refund returns the coupon', async () => {
      const code = await fresh();
      const c = ctx();
      await inTransaction(t.db, (em) => participant.try(em, c, use(code)));
      expect(await stateOf('pu', code)).toBe('FROZEN');
      await inTransaction(t.db, (em) => participant.confirm(em, c, use(code)));
      expect(await stateOf('pu', code)).toBe('USED');
      const refund = { txId: ulid(), branchId: 'r:coupon', txName: 'refund' };
      await inTransaction(t.db, (em) => participant.try(em, refund, { kind: 'return', userId: 'pu', code }));
      expect(await stateOf('pu', code)).toBe('USED');
      await inTransaction(t.db, (em) => participant.confirm(em, refund, { kind: 'return', userId: 'pu', code }));
      expect(await stateOf('pu', code)).toBe('AVAILABLE');
    });

    it('refuses to return a coupon whose use is not confirmed (still FROZEN) or that is not used', async () => {
      const code = await fresh();
      const refund = { txId: ulid(), branchId: 'r2:coupon', txName: 'refund' };
      const giveBack = { kind: 'return' as const, userId: 'pu', code };
      await expect(inTransaction(t.db, (em) => participant.try(em, refund, giveBack))).rejects.toMatchObject({
        code: ErrorCode.CONFLICT,
      });
      await inTransaction(t.db, (em) => participant.try(em, ctx(), use(code)));
      await expect(inTransaction(t.db, (em) => participant.try(em, refund, giveBack))).rejects.toMatchObject({
        code: ErrorCode.CONFLICT,
      });
      expect(await stateOf('pu', code)).toBe('FROZEN');
    });

    it('cancel makes a frozen coupon available again', async () => {
      const code = await fresh();
      const c = ctx();
      await inTransaction(t.db, (em) => participant.try(em, c, use(code)));
      await inTransaction(t.db, (em) => participant.cancel(em, c, use(code)));
      const [row] = await t.db.query('SELECT state, tx_id FROM user_coupon WHERE user_id = ? AND code = ?', [
        'pu',
        code,
      ]);
      expect(row).toEqual({ state: 'AVAILABLE', tx_id: null });
    });

    it('cancel of another transaction does not release the coupon', async () => {
      const code = await fresh();
      await inTransaction(t.db, (em) => participant.try(em, ctx(), use(code)));
      await inTransaction(t.db, (em) => participant.cancel(em, ctx(), use(code)));
      expect(await stateOf('pu', code)).toBe('FROZEN');
    });

    it('refuses to freeze a used coupon, an expired one, or one never issued', async () => {
      const used = await fresh();
      await t.db.query(`UPDATE user_coupon SET state = 'USED' WHERE code = ?`, [used]);
      const expired = await fresh({ validTo: new Date(Date.now() - 1000).toISOString() });
      for (const payload of [use(used), use(expired), { kind: 'use' as const, userId: 'stranger', code: used }]) {
        await expect(inTransaction(t.db, (em) => participant.try(em, ctx(), payload))).rejects.toMatchObject({
          code: ErrorCode.COUPON_UNAVAILABLE,
        });
      }
      expect(await stateOf('pu', expired)).toBe('AVAILABLE');
    });

    it('lets exactly one of 20 concurrent checkouts freeze the same coupon', async () => {
      const code = await fresh();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => inTransaction(t.db, (em) => participant.try(em, ctx(), use(code)))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused).toHaveLength(19);
      for (const r of refused) expect((r.reason as DomainError).code).toBe(ErrorCode.COUPON_UNAVAILABLE);
      const rows = await t.db.query('SELECT state FROM user_coupon WHERE user_id = ? AND code = ?', ['pu', code]);
      expect(rows).toEqual([{ state: 'FROZEN' }]);
    });
  });

  describe('through the TCC coordinator', () => {
    let n = 0;
    const fresh = async (userId: string) => {
      const code = `T${++n}`;
      await createCoupon({ code, type: 'PERCENT', value: 10 });
      await issue(code, [userId]);
      return code;
    };

    it('commit marks the coupon USED', async () => {
      const code = await fresh('tu');
      const txId = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(txId, 'coupon', { kind: 'use', userId: 'tu', code });
      expect(await stateOf('tu', code)).toBe('FROZEN');
      expect(await coordinator.commit(txId)).toEqual({ txId, status: 'CONFIRMED' });
      expect(await stateOf('tu', code)).toBe('USED');
    });

    it('rollback gives the coupon back, and a second checkout can use it', async () => {
      const code = await fresh('tu');
      const first = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(first, 'coupon', { kind: 'use', userId: 'tu', code });
      expect((await coordinator.rollback(first, 'USER')).status).toBe('CANCELLED');
      expect(await stateOf('tu', code)).toBe('AVAILABLE');
      const second = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(second, 'coupon', { kind: 'use', userId: 'tu', code });
      await coordinator.commit(second);
      expect(await stateOf('tu', code)).toBe('USED');
    });

    it('passes a refusal through tryBranch unchanged', async () => {
      const code = await fresh('tu');
      const first = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(first, 'coupon', { kind: 'use', userId: 'tu', code });
      const second = await coordinator.begin({ name: 'checkout' });
      await expect(coordinator.tryBranch(second, 'coupon', { kind: 'use', userId: 'tu', code })).rejects.toMatchObject({
        code: ErrorCode.COUPON_UNAVAILABLE,
      });
      await coordinator.rollback(second, 'TRY_FAILED');
      expect(await stateOf('tu', code)).toBe('FROZEN');
      await coordinator.rollback(first, 'USER');
      expect(await stateOf('tu', code)).toBe('AVAILABLE');
    });

    it('a refund transaction returns a used coupon', async () => {
      const code = await fresh('tu');
      const checkout = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(checkout, 'coupon', { kind: 'use', userId: 'tu', code });
      await coordinator.commit(checkout);
      const refund = await coordinator.begin({ name: 'refund' });
      await coordinator.tryBranch(refund, 'coupon', { kind: 'return', userId: 'tu', code });
      await coordinator.commit(refund);
      expect(await stateOf('tu', code)).toBe('AVAILABLE');
    });

    it('20 concurrent checkouts with one coupon: exactly one holds it, the rest roll back', async () => {
      const code = await fresh('race');
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const txId = await coordinator.begin({ name: 'checkout' });
          try {
            await coordinator.tryBranch(txId, 'coupon', { kind: 'use', userId: 'race', code });
            return 'frozen';
          } catch (err) {
            await coordinator.rollback(txId, 'TRY_FAILED');
            return (err as DomainError).code;
          }
        }),
      );
      expect(outcomes.filter((o) => o === 'frozen')).toHaveLength(1);
      expect(outcomes.filter((o) => o === ErrorCode.COUPON_UNAVAILABLE)).toHaveLength(19);
      expect(await stateOf('race', code)).toBe('FROZEN');
    });
  });

  describe('audit', () => {
    it('reports a coupon left FROZEN by an ended transaction, and nothing once it is released', async () => {
      await createCoupon({ code: 'AUD', type: 'FIXED', value: 1 });
      await issue('AUD', ['auditor']);
      const txId = await coordinator.begin({ name: 'checkout' });
      await coordinator.tryBranch(txId, 'coupon', { kind: 'use', userId: 'auditor', code: 'AUD' });
      const open = await t.request('GET', '/v1/admin/audit');
      expect(open.body.violations.filter((v: { detail: string }) => v.detail.includes('coupon AUD'))).toEqual([]);
      await coordinator.rollback(txId, 'USER');
      // Simulate a lost release: the tx is CANCELLED but the coupon is still frozen by it.
      await t.db.query(
        `UPDATE user_coupon SET state = 'FROZEN', tx_id = ? WHERE user_id = 'auditor' AND code = 'AUD'`,
        [txId],
      );
      const broken = await t.request('GET', '/v1/admin/audit');
      expect(broken.body.ok).toBe(false);
      expect(broken.body.violations).toContainEqual({
        invariant: 3,
        sku: null,
        warehouse: null,
        detail: `coupon AUD of user auditor is FROZEN by tx ${txId} which is CANCELLED`,
      });
      await t.db.query(
        `UPDATE user_coupon SET state = 'AVAILABLE', tx_id = NULL WHERE user_id = 'auditor' AND code = 'AUD'`,
      );
      const fixed = await t.request('GET', '/v1/admin/audit');
      expect(fixed.body.violations.filter((v: { detail: string }) => v.detail.includes('coupon AUD'))).toEqual([]);
    });
  });
});
