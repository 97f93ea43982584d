import { ulid } from 'ulid';
import { Shop } from '../e2e/shop';
import { startTestApp, statementRunning, TestApp } from '../helpers/test-app';

/**
 * Admin stock changes write their row last, as a compare-and-set on the version they read
 * (docs/performance.md#hot-row-discipline): a row that moved in between runs them again, and
 * they never lose a concurrent change, even on a row a flash sale is selling from.
 */
describe('admin stock changes on a hot row', () => {
  let t: TestApp;
  let shop: Shop;

  const retries = async (): Promise<number> => {
    const metrics = (await t.request('GET', '/metrics', { as: 'none' })).body as string;
    return Number(/^inventory_admin_stock_retries_total (\d+)/m.exec(metrics)?.[1] ?? 0);
  };
  const row = async (sku: string) => {
    const [r] = await t.db.query(`SELECT on_hand, reserved FROM stock WHERE sku = ? AND warehouse = 'main'`, [sku]);
    return { onHand: Number(r.on_hand), reserved: Number(r.reserved) };
  };

  beforeAll(async () => {
    t = await startTestApp();
    shop = new Shop(t);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('an inbound whose row moved between its read and its write runs again and adds its units once', async () => {
    await shop.product('HOT-1', 100);
    await shop.inbound('HOT-1', 100);
    const retriesBefore = await retries();

    // Another transaction changes the row (with its ledger entry) and holds its lock until told to commit.
    const other = t.db.createQueryRunner();
    await other.connect();
    await other.startTransaction();
    await other.query(
      `UPDATE stock SET on_hand = on_hand + 1, version = version + 1 WHERE sku = 'HOT-1' AND warehouse = 'main'`,
    );
    await other.query(
      `INSERT INTO stock_movement (id, sku, warehouse, reason, ref, delta_on_hand, delta_reserved, created_at)
       VALUES (?, 'HOT-1', 'main', 'INBOUND', 'other', 1, 0, UTC_TIMESTAMP(3))`,
      [ulid()],
    );
    const inbound = t.request('POST', '/v1/admin/stock/inbound', {
      body: { sku: 'HOT-1', warehouse: 'main', qty: 5 },
      idempotencyKey: ulid(),
    });
    // The inbound read the row before that change committed and now waits for the lock at its write.
    expect(await statementRunning(t, 'UPDATE stock SET on_hand = 105,%')).toBe(true);
    await other.commitTransaction();
    await other.release();

    const res = await inbound;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ onHand: 106, reserved: 0, available: 106 });
    expect(await row('HOT-1')).toEqual({ onHand: 106, reserved: 0 });
    expect(await retries()).toBe(retriesBefore + 1);
    // The attempt that lost wrote its ledger entry in the transaction that rolled back: one entry of 5 is left.
    const entries = await t.db.query(
      `SELECT delta_on_hand FROM stock_movement WHERE sku = 'HOT-1' AND reason = 'INBOUND' AND delta_on_hand = 5`,
    );
    expect(entries).toHaveLength(1);
    expect(await shop.ledger('HOT-1')).toEqual({ onHand: 106, reserved: 0 });
    expect(await shop.audit()).toEqual({ ok: true, violations: [] });
  });

  it('inbounds, outbounds and transfers during a flash sale on the same row lose nothing', async () => {
    await shop.product('HOT-2', 100);
    await shop.inbound('HOT-2', 1000);
    expect((await t.request('POST', '/v1/admin/warehouses', { body: { code: 'side', name: 'Side' } })).status).toBe(
      201,
    );
    const admin = (path: string, body: Record<string, unknown>) =>
      t.request('POST', `/v1/admin/stock/${path}`, { body, idempotencyKey: ulid() });

    const [checkouts, inbounds, outbounds, transfers] = await Promise.all([
      Promise.all(Array.from({ length: 200 }, (_, i) => shop.place(`hot-u${i}`, [{ sku: 'HOT-2', qty: 1 }]))),
      Promise.all(Array.from({ length: 20 }, () => admin('inbound', { sku: 'HOT-2', warehouse: 'main', qty: 3 }))),
      Promise.all(Array.from({ length: 20 }, () => admin('outbound', { sku: 'HOT-2', warehouse: 'main', qty: 2 }))),
      Promise.all(
        Array.from({ length: 10 }, () => admin('transfer', { sku: 'HOT-2', from: 'main', to: 'side', qty: 1 })),
      ),
    ]);

    expect(checkouts.map((r) => r.status)).toEqual(checkouts.map(() => 201));
    for (const r of [...inbounds, ...outbounds, ...transfers]) expect(r.status).toBe(200);
    // Every change counted exactly once: 1000 + 20×3 − 20×2 − 10×1 on hand, one unit reserved per order.
    expect(await row('HOT-2')).toEqual({ onHand: 1010, reserved: 200 });
    expect(await shop.ledger('HOT-2')).toEqual({ onHand: 1010, reserved: 200 });
    expect(await shop.ledger('HOT-2', 'side')).toEqual({ onHand: 10, reserved: 0 });
    expect(await shop.audit()).toEqual({ ok: true, violations: [] });
  });
});
