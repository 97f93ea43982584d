import { createConnection, Connection } from 'mysql2/promise';
import { startTestApp, TestApp } from '../helpers/test-app';
import { Shop } from './shop';

/**
 * DESIGN.md §5: in a flash-sale flood most requests are refusals, and a refusal must cost no
 * MySQL round trip (auth and the sold-out flag from memory, idempotency in Redis).
 * Counted with MariaDB's own global `Questions` counter (jobs are off in tests).
 */
describe('checkout hot path', () => {
  let t: TestApp;
  let shop: Shop;
  let probe: Connection;

  const questions = async (): Promise<number> => {
    const [rows] = await probe.query("SHOW GLOBAL STATUS LIKE 'Questions'");
    return Number((rows as Array<{ Value: string }>)[0].Value);
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { CATALOGUE_CACHE_MS: '60000', SOLD_OUT_FLAG_TTL_MS: '60000' } });
    shop = new Shop(t);
    probe = await createConnection({ host: '127.0.0.1', user: 'root', password: '' });
    await shop.product('HOT', 100);
    await shop.inbound('HOT', 3);
  });

  afterAll(async () => {
    await probe?.end();
    await t?.close();
  });

  it('refuses a sold-out sku without touching MySQL', async () => {
    const sold = await Promise.all(Array.from({ length: 10 }, (_, i) => shop.place(`hot${i}`, [{ sku: 'HOT', qty: 1 }])));
    expect(sold.filter((r) => r.status === 201)).toHaveLength(3);

    const before = await questions();
    const refused = await Promise.all(Array.from({ length: 200 }, (_, i) => shop.place(`late${i}`, [{ sku: 'HOT', qty: 1 }])));
    const after = await questions();

    expect(refused.every((r) => r.status === 409 && r.body.error === 'INSUFFICIENT_STOCK')).toBe(true);
    // One for the second SHOW STATUS itself; nothing from 200 refusals.
    expect(after - before).toBeLessThanOrEqual(1);
  });
});
