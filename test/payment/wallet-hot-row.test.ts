import { ulid } from 'ulid';
import { Shop } from '../e2e/shop';
import { startTestApp, statementRunning, TestApp } from '../helpers/test-app';

/**
 * A top-up writes the wallet last, as a compare-and-set on the version it read
 * (docs/performance.md#hot-row-discipline): a wallet that moved in between runs it again, and
 * no concurrent pay or top-up is lost.
 */
describe('wallet top-ups on a busy wallet', () => {
  let t: TestApp;
  let shop: Shop;

  const retries = async (): Promise<number> => {
    const metrics = (await t.request('GET', '/metrics', { as: 'none' })).body as string;
    return Number(/^wallet_credits_total\{outcome="retried"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
  };
  const credit = (user: string, amountCents: number) =>
    t.request('POST', `/v1/admin/wallets/${user}/credit`, { body: { amountCents }, idempotencyKey: ulid() });

  beforeAll(async () => {
    t = await startTestApp();
    shop = new Shop(t);
    await shop.product('WAL-1', 100);
    await shop.inbound('WAL-1', 1000);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('a top-up whose wallet moved between its read and its write runs again and adds its money once', async () => {
    await shop.credit('wal-a', 1000);
    const retriesBefore = await retries();

    // Another top-up changes the wallet and holds its lock until told to commit.
    const other = t.db.createQueryRunner();
    await other.connect();
    await other.startTransaction();
    await other.query(
      `INSERT INTO wallet_credit (id, user_id, amount_cents, ref, created_at) VALUES (?, 'wal-a', 1, ?, UTC_TIMESTAMP(3))`,
      [ulid(), `other-${ulid()}`],
    );
    await other.query(
      `UPDATE wallet SET balance_cents = balance_cents + 1, version = version + 1 WHERE user_id = 'wal-a'`,
    );
    const topUp = credit('wal-a', 50);
    expect(await statementRunning(t, 'UPDATE wallet SET balance_cents = 1050,%')).toBe(true);
    await other.commitTransaction();
    await other.release();

    const res = await topUp;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: 'wal-a', balanceCents: 1051, frozenCents: 0 });
    expect(await shop.wallet('wal-a')).toMatchObject({ balanceCents: 1051, frozenCents: 0 });
    expect(await retries()).toBe(retriesBefore + 1);
    expect(await shop.audit()).toEqual({ ok: true, violations: [] });
  });

  it('concurrent first top-ups of a new user create one wallet holding them all', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => credit('wal-new', 11)));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    expect(await shop.wallet('wal-new')).toMatchObject({ balanceCents: 110, frozenCents: 0 });
    expect(await shop.audit()).toEqual({ ok: true, violations: [] });
  });

  it('top-ups racing pays of the same wallet lose nothing', async () => {
    await shop.credit('wal-b', 1000);
    const orders = [];
    for (let i = 0; i < 8; i++) orders.push(await shop.placed('wal-b', [{ sku: 'WAL-1', qty: 1 }]));

    const [pays, credits] = await Promise.all([
      Promise.all(orders.map((o) => shop.pay('wal-b', o.orderId))),
      Promise.all(Array.from({ length: 20 }, () => credit('wal-b', 7))),
    ]);

    expect(pays.map((p) => p.status)).toEqual(pays.map(() => 200));
    expect(credits.map((c) => c.status)).toEqual(credits.map(() => 200));
    // 1000 + 20×7 in, 8×100 out.
    expect(await shop.wallet('wal-b')).toMatchObject({ balanceCents: 340, frozenCents: 0 });
    expect(await shop.audit()).toEqual({ ok: true, violations: [] });
  });
});
