import { ErrorCode } from '@app/core';
import { WalletService } from '@app/payment';
import { startTestApp, TestApp } from '../helpers/test-app';

describe('wallet', () => {
  let t: TestApp;
  let wallets: WalletService;

  beforeAll(async () => {
    t = await startTestApp();
    wallets = t.app.get(WalletService);
  });

  afterAll(async () => {
    await t?.close();
  });

  const credit = (userId: string, body: unknown, idempotencyKey?: string) =>
    t.request('POST', `/v1/admin/wallets/${userId}/credit`, { body, idempotencyKey });
  const creditsOf = async (userId: string) =>
    (await t.db.query('SELECT amount_cents FROM wallet_credit WHERE user_id = ?', [userId])).map(
      (r: { amount_cents: string | number }) => Number(r.amount_cents),
    );

  it('credits a wallet and returns it', async () => {
    const res = await credit('alice', { amountCents: 2500 }, 'k-alice-1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: 'alice', balanceCents: 2500, frozenCents: 0 });
    const more = await credit('alice', { amountCents: 500 }, 'k-alice-2');
    expect(more.body).toEqual({ userId: 'alice', balanceCents: 3000, frozenCents: 0 });
    expect(await creditsOf('alice')).toEqual([2500, 500]);
  });

  it('applies a replayed credit once and replays the first response', async () => {
    const first = await credit('bob', { amountCents: 1000 }, 'k-bob');
    const replay = await credit('bob', { amountCents: 1000 }, 'k-bob');
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await creditsOf('bob')).toEqual([1000]);
    expect((await t.request('GET', '/v1/wallet', { user: 'bob' })).body.balanceCents).toBe(1000);
  });

  it('applies 20 concurrent duplicates of one credit exactly once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => credit('carol', { amountCents: 700 }, 'k-carol')),
    );
    for (const r of results) expect([200, 409]).toContain(r.status);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((r) => r.status === 200)) {
      expect(r.body).toEqual({ userId: 'carol', balanceCents: 700, frozenCents: 0 });
    }
    expect(await creditsOf('carol')).toEqual([700]);
    const [row] = await t.db.query(`SELECT balance_cents FROM wallet WHERE user_id = 'carol'`);
    expect(Number(row.balance_cents)).toBe(700);
  });

  it('refuses the same key with another amount (422) and changes nothing', async () => {
    await credit('dave', { amountCents: 100 }, 'k-dave');
    const res = await credit('dave', { amountCents: 200 }, 'k-dave');
    expect(res.status).toBe(422);
    expect(res.body.error).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await creditsOf('dave')).toEqual([100]);
  });

  it('credits 20 concurrent distinct top-ups of one new wallet without losing any', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => credit('erin', { amountCents: 10 }, `k-erin-${i}`)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect((await t.request('GET', '/v1/wallet', { user: 'erin' })).body).toEqual({
      userId: 'erin',
      balanceCents: 200,
      frozenCents: 0,
    });
  });

  it('credits at most once per reference even without the HTTP idempotency layer', async () => {
    await wallets.credit('frank', 300, 'ref-1');
    expect(await wallets.credit('frank', 300, 'ref-1')).toEqual({ userId: 'frank', balanceCents: 300, frozenCents: 0 });
    await expect(wallets.credit('frank', 301, 'ref-1')).rejects.toMatchObject({
      code: ErrorCode.IDEMPOTENCY_KEY_REUSED,
    });
    await expect(wallets.credit('frank', 0)).rejects.toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
    await expect(wallets.credit('bad user', 1)).rejects.toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
    expect(await creditsOf('frank')).toEqual([300]);
  });

  it.each([
    ['zero', { amountCents: 0 }],
    ['negative', { amountCents: -1 }],
    ['above 10^12', { amountCents: 1_000_000_000_001 }],
    ['fractional', { amountCents: 1.5 }],
    ['a string', { amountCents: '100' }],
    ['missing', {}],
    ['with an unknown field', { amountCents: 1, note: 'x' }],
  ])('refuses an amount that is %s with 400', async (_name, body) => {
    const res = await credit('gina', body, `k-gina-${_name}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_FAILED');
    expect(await creditsOf('gina')).toEqual([]);
  });

  it('accepts the largest amount, 10^12', async () => {
    const res = await credit('henry', { amountCents: 1_000_000_000_000 }, 'k-henry');
    expect(res.body.balanceCents).toBe(1_000_000_000_000);
  });

  it.each([
    ['with a space', 'bad%20user'],
    ['too long', 'u'.repeat(65)],
    ['with a dot', 'a.b'],
  ])('refuses a user id %s with 400', async (_name, userId) => {
    const res = await credit(userId, { amountCents: 1 }, `k-bad-${_name}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_FAILED');
  });

  it('requires an Idempotency-Key and the admin scope', async () => {
    expect((await credit('ivy', { amountCents: 1 })).status).toBe(400);
    const storefront = await t.request('POST', '/v1/admin/wallets/ivy/credit', {
      as: 'storefront',
      user: 'ivy',
      body: { amountCents: 1 },
      idempotencyKey: 'k-ivy',
    });
    expect(storefront.status).toBe(403);
    expect(await creditsOf('ivy')).toEqual([]);
  });

  it('shows a user without a wallet zeros, without creating a row', async () => {
    const res = await t.request('GET', '/v1/wallet', { user: 'newcomer' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: 'newcomer', balanceCents: 0, frozenCents: 0 });
    expect(await t.db.query(`SELECT * FROM wallet WHERE user_id = 'newcomer'`)).toEqual([]);
  });

  it('shows each user only their own wallet', async () => {
    await credit('jack', { amountCents: 4200 }, 'k-jack');
    expect((await t.request('GET', '/v1/wallet', { user: 'jack' })).body).toEqual({
      userId: 'jack',
      balanceCents: 4200,
      frozenCents: 0,
    });
    expect((await t.request('GET', '/v1/wallet', { user: 'jill' })).body).toEqual({
      userId: 'jill',
      balanceCents: 0,
      frozenCents: 0,
    });
  });

  it('treats user ids that differ only in case as different users', async () => {
    await credit('Kim', { amountCents: 900 }, 'k-Kim');
    expect((await t.request('GET', '/v1/wallet', { user: 'kim' })).body).toEqual({
      userId: 'kim',
      balanceCents: 0,
      frozenCents: 0,
    });
    expect((await t.request('GET', '/v1/wallet', { user: 'Kim' })).body).toEqual({
      userId: 'Kim',
      balanceCents: 900,
      frozenCents: 0,
    });
  });

  it('refuses a wallet read without a valid X-User-Id or storefront key', async () => {
    expect((await t.request('GET', '/v1/wallet')).status).toBe(400);
    expect((await t.request('GET', '/v1/wallet', { user: 'x'.repeat(65) })).status).toBe(400);
    expect((await t.request('GET', '/v1/wallet', { as: 'admin', user: 'jack' })).status).toBe(403);
    expect((await t.request('GET', '/v1/wallet', { as: 'none', user: 'jack' })).status).toBe(401);
  });
});
