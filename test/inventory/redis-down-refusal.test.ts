import { ulid } from 'ulid';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createProduct, inbound } from './checkout-driver';

/**
 * Redis down: MySQL's conditional UPDATE decides. Its refusal must set the in-process sold-out
 * flag as a Redis refusal does, and a refused checkout leaves no TCC row behind.
 */
describe('a refusal decided by MySQL (Redis down)', () => {
  let t: TestApp;
  const SKU = 'RDOWN-1';

  beforeAll(async () => {
    t = await startTestApp({
      env: { REDIS_URL: 'redis://127.0.0.1:6390', SOLD_OUT_FLAG_TTL_MS: '60000', RATE_LIMIT_USER_PER_SEC: '0' },
    });
    await createProduct(t, SKU);
    await inbound(t, SKU, 5);
  });

  afterAll(async () => {
    await t?.close();
  });

  const checkout = (user: string) =>
    t.request('POST', '/v1/orders', { user, idempotencyKey: ulid(), body: { items: [{ sku: SKU, qty: 1 }] } });

  async function tccRows(): Promise<{ tx: number; branches: number; fences: number }> {
    const [[tx], [branches], [fences]] = await Promise.all([
      t.db.query('SELECT COUNT(*) AS n FROM tcc_transaction'),
      t.db.query('SELECT COUNT(*) AS n FROM tcc_branch'),
      t.db.query('SELECT COUNT(*) AS n FROM tcc_fence'),
    ]);
    return { tx: Number(tx.n), branches: Number(branches.n), fences: Number(fences.n) };
  }

  function refusals(metrics: string, level: string): number {
    const match = new RegExp(`inventory_reservations_total\\{outcome="refused",level="${level}"\\} (\\d+)`).exec(
      metrics,
    );
    return match ? Number(match[1]) : 0;
  }

  it('sets the sold-out flag and leaves no tcc_transaction, tcc_branch or tcc_fence row per refused checkout', async () => {
    for (let i = 0; i < 5; i++) expect((await checkout(`buyer-${i}`)).status).toBe(201);
    const sold = await tccRows();
    expect(sold.tx).toBe(5);

    // The first refusal reaches MySQL; it finds nothing left and flags the row.
    const first = await checkout('late-0');
    expect(first.status).toBe(409);
    expect(first.body.error).toBe('INSUFFICIENT_STOCK');

    const late = await Promise.all(Array.from({ length: 100 }, (_, i) => checkout(`late-${i + 1}`)));
    expect(late.map((r) => r.body.error)).toEqual(Array(100).fill('INSUFFICIENT_STOCK'));

    const metrics = (await t.request('GET', '/metrics', { as: 'none' })).body as string;
    expect(refusals(metrics, 'mysql')).toBe(1);
    expect(refusals(metrics, 'memory')).toBeGreaterThanOrEqual(100);
    expect(await tccRows()).toEqual(sold);
    const [stock] = await t.db.query('SELECT on_hand, reserved FROM stock WHERE sku = ?', [SKU]);
    expect({ onHand: Number(stock.on_hand), reserved: Number(stock.reserved) }).toEqual({ onHand: 5, reserved: 5 });
  });
});
