import { startTestApp, TestApp } from '../helpers/test-app';
import { Shop } from './shop';

/**
 * DESIGN.md §5: in a flash-sale flood most requests are refusals, and a refusal must cost no
 * MySQL round trip (auth and the sold-out flag from memory, idempotency in Redis). Counted at
 * the app's own connection pool: every statement TypeORM runs first checks out a connection.
 */
describe('checkout hot path', () => {
  let t: TestApp;
  let shop: Shop;
  let checkouts = 0;

  beforeAll(async () => {
    t = await startTestApp({ env: { CATALOGUE_CACHE_MS: '60000', SOLD_OUT_FLAG_TTL_MS: '60000' } });
    shop = new Shop(t);
    const driver = t.db.driver as unknown as { obtainMasterConnection: () => Promise<unknown> };
    const obtain = driver.obtainMasterConnection.bind(driver);
    driver.obtainMasterConnection = () => {
      checkouts++;
      return obtain();
    };
    await shop.product('HOT', 100);
    await shop.inbound('HOT', 3);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('counts connection checkouts (the probe itself works)', async () => {
    const before = checkouts;
    expect((await shop.place('warm', [{ sku: 'HOT', qty: 1 }])).status).toBe(201);
    expect(checkouts).toBeGreaterThan(before);
  });

  it('refuses a sold-out sku without touching MySQL', async () => {
    const sold = await Promise.all(Array.from({ length: 10 }, (_, i) => shop.place(`hot${i}`, [{ sku: 'HOT', qty: 1 }])));
    expect(sold.filter((r) => r.status === 201)).toHaveLength(2);

    const before = checkouts;
    const refused = await Promise.all(Array.from({ length: 200 }, (_, i) => shop.place(`late${i}`, [{ sku: 'HOT', qty: 1 }])));

    expect(refused.every((r) => r.status === 409 && r.body.error === 'INSUFFICIENT_STOCK')).toBe(true);
    expect(checkouts - before).toBe(0);
  });
});
