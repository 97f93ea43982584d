import { ulid } from 'ulid';
import { startTestApp, TestApp } from '../helpers/test-app';
import { checkoutDriver, createProduct, inbound } from './checkout-driver';

/**
 * MySQL compares skus and warehouse codes without regard to letter case (utf8mb4_unicode_ci):
 * `case-1` and `CASE-1` are one stock row. The Redis gate must agree, or one row gets two Redis
 * counters and one of them is never reset from MySQL.
 */
describe('sku and warehouse letter case', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { SOLD_OUT_FLAG_TTL_MS: '0' } });
    await createProduct(t, 'CASE-1');
    await createProduct(t, 'CASE-2');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('sells units received under another letter case of the sku, once reconciled', async () => {
    const driver = checkoutDriver(t);
    await inbound(t, 'case-1', 1); // an operator's typo: the same product, the same stock row
    const first = await driver.freeze('u1', [{ sku: 'CASE-1', qty: 1 }]);
    expect(first.outcome).toBe('FROZEN');
    await driver.coordinator.commit(first.txId);

    await inbound(t, 'case-1', 3);
    expect((await t.request('POST', '/v1/admin/reconcile')).status).toBe(200);
    const [row] = await t.db.query("SELECT on_hand - reserved AS available FROM stock WHERE sku = 'CASE-1'");
    expect(Number(row.available)).toBe(3);

    expect((await driver.freeze('u2', [{ sku: 'CASE-1', qty: 3 }])).outcome).toBe('FROZEN');
  });

  it('sells units received after a sell-out to checkouts that spell the warehouse in another letter case', async () => {
    const driver = checkoutDriver(t);
    await inbound(t, 'CASE-2', 1);
    const first = await driver.freeze('u1', [{ sku: 'CASE-2', qty: 1 }], 'MAIN');
    expect(first.outcome).toBe('FROZEN');
    await driver.coordinator.commit(first.txId);

    await inbound(t, 'CASE-2', 3);
    expect((await t.request('POST', '/v1/admin/reconcile')).status).toBe(200);
    expect((await driver.freeze('u2', [{ sku: 'CASE-2', qty: 3 }], 'MAIN')).outcome).toBe('FROZEN');
    // one row, one gate: what MAIN froze is not handed out again under main
    expect((await driver.freeze(`u3-${ulid()}`, [{ sku: 'CASE-2', qty: 1 }], 'main')).outcome).toBe(
      'INSUFFICIENT_STOCK',
    );
  });
});
