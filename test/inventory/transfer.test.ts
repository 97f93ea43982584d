import { ulid } from 'ulid';
import { startTestApp, TestApp } from '../helpers/test-app';
import { auditViolations, createProduct, inbound, rowState } from './checkout-driver';

/** Opposite transfers between two warehouses, all at once: no deadlock, no unit created or lost. */
describe('concurrent transfers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await createProduct(t, 'TR-1');
    expect((await t.request('POST', '/v1/admin/warehouses', { body: { code: 'north', name: 'North' } })).status).toBe(
      201,
    );
    await inbound(t, 'TR-1', 200, 'main');
    await inbound(t, 'TR-1', 200, 'north');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('runs 120 opposite transfers concurrently without deadlock and conserves units', async () => {
    // Count deadlock victims (inTransaction would retry them silently).
    let deadlocks = 0;
    const original = t.db.transaction.bind(t.db) as (...args: unknown[]) => Promise<unknown>;
    const spy = jest.spyOn(t.db, 'transaction').mockImplementation((...args: unknown[]) =>
      original(...args).catch((err: { code?: string; driverError?: { code?: string } }) => {
        if ((err.code ?? err.driverError?.code) === 'ER_LOCK_DEADLOCK') deadlocks++;
        throw err;
      }),
    );
    const transfer = (from: string, to: string, qty: number) =>
      t.request('POST', '/v1/admin/stock/transfer', { body: { sku: 'TR-1', from, to, qty }, idempotencyKey: ulid() });
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        i % 2 === 0 ? transfer('main', 'north', 1 + (i % 3)) : transfer('north', 'main', 1 + (i % 4)),
      ),
    );
    spy.mockRestore();
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(deadlocks).toBe(0);

    const main = await rowState(t, 'TR-1', 'main');
    const north = await rowState(t, 'TR-1', 'north');
    expect(main.onHand + north.onHand).toBe(400);
    const movedToNorth = results.filter((_, i) => i % 2 === 0).reduce((s, _, j) => s + 1 + ((j * 2) % 3), 0);
    const movedToMain = results.filter((_, i) => i % 2 === 1).reduce((s, _, j) => s + 1 + ((j * 2 + 1) % 4), 0);
    expect(main.onHand).toBe(200 - movedToNorth + movedToMain);
    expect(main.ledgerOnHand).toBe(main.onHand);
    expect(north.ledgerOnHand).toBe(north.onHand);
    expect(main.redisAvailable).toBe(main.onHand);
    expect(north.redisAvailable).toBe(north.onHand);
    const [{ n }] = await t.db.query(
      `SELECT COUNT(*) AS n FROM stock_movement WHERE reason IN ('TRANSFER_IN', 'TRANSFER_OUT')`,
    );
    expect(Number(n)).toBe(240);
    expect(await auditViolations(t)).toEqual([]);
  });

  it('never lets two concurrent transfers take the same units twice', async () => {
    await inbound(t, 'TR-1', 0 + 1, 'north');
    const north = await rowState(t, 'TR-1', 'north');
    // Drain north with many concurrent transfers of 7: only floor(available / 7) can succeed.
    const results = await Promise.all(
      Array.from({ length: 80 }, () =>
        t.request('POST', '/v1/admin/stock/transfer', {
          body: { sku: 'TR-1', from: 'north', to: 'main', qty: 7 },
          idempotencyKey: ulid(),
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBe(Math.min(80, Math.floor(north.onHand / 7)));
    expect(
      results.filter((r) => r.status !== 200).every((r) => r.status === 409 && r.body.error === 'INSUFFICIENT_STOCK'),
    ).toBe(true);
    expect((await rowState(t, 'TR-1', 'north')).onHand).toBe(north.onHand - ok * 7);
    expect(await auditViolations(t)).toEqual([]);
  });

  it('refuses a transfer from a warehouse to itself, also spelled in another letter case, and changes nothing', async () => {
    const transferMoves = async () =>
      Number(
        (await t.db.query("SELECT COUNT(*) AS n FROM stock_movement WHERE sku = 'TR-1' AND reason LIKE 'TRANSFER%'"))[0]
          .n,
      );
    const before = { row: await rowState(t, 'TR-1', 'main'), moves: await transferMoves() };
    for (const to of ['main', 'MAIN']) {
      const res = await t.request('POST', '/v1/admin/stock/transfer', {
        body: { sku: 'TR-1', from: 'main', to, qty: 1 },
        idempotencyKey: ulid(),
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('VALIDATION_FAILED');
    }
    expect({ row: await rowState(t, 'TR-1', 'main'), moves: await transferMoves() }).toEqual(before);
  });
});
