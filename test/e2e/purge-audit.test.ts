import { FenceCleanupJob } from '@app/tcc';
import { startTestApp, TestApp } from '../helpers/test-app';
import { Shop } from './shop';

/** Finished transactions of old orders are purged; the audit still passes, and still sees a recent order's tx go missing. */
describe('audit after the TCC purge', () => {
  let t: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    t = await startTestApp({ env: { TCC_TX_RETENTION_SEC: '3600', TCC_FENCE_RETENTION_SEC: '3600' } });
    shop = new Shop(t);
    await shop.product('PG-1', 500);
    await shop.inbound('PG-1', 10);
    await shop.credit('pg-user', 10_000);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('an old paid or cancelled order without its purged tx is no violation', async () => {
    const paid = await shop.placed('pg-user', [{ sku: 'PG-1', qty: 1 }]);
    expect((await shop.pay('pg-user', paid.orderId)).status).toBe(200);
    const cancelled = await shop.placed('pg-user', [{ sku: 'PG-1', qty: 2 }]);
    expect((await shop.cancel('pg-user', cancelled.orderId)).status).toBe(200);
    const recent = await shop.placed('pg-user', [{ sku: 'PG-1', qty: 1 }]);
    expect((await shop.pay('pg-user', recent.orderId)).status).toBe(200);

    const past = 'DATE_SUB(UTC_TIMESTAMP(3), INTERVAL 2 HOUR)';
    for (const orderId of [paid.orderId, cancelled.orderId]) {
      const [{ tx_id: txId }] = await t.db.query('SELECT tx_id FROM orders WHERE order_id = ?', [orderId]);
      await t.db.query(`UPDATE orders SET updated_at = ${past} WHERE order_id = ?`, [orderId]);
      await t.db.query(
        `UPDATE tcc_transaction SET created_at = ${past}, updated_at = ${past}, deadline_at = ${past} WHERE tx_id = ?`,
        [txId],
      );
      await t.db.query(`UPDATE tcc_fence SET created_at = ${past}, updated_at = ${past} WHERE tx_id = ?`, [txId]);
    }
    expect(await t.app.get(FenceCleanupJob).purgeOnce()).toBe(2);
    expect(await shop.audit()).toMatchObject({ ok: true, violations: [] });

    // a recent order whose tx is missing is still reported
    const [{ tx_id: recentTx }] = await t.db.query('SELECT tx_id FROM orders WHERE order_id = ?', [recent.orderId]);
    await t.db.query('DELETE FROM tcc_fence WHERE tx_id = ?', [recentTx]);
    await t.db.query('DELETE FROM tcc_branch WHERE tx_id = ?', [recentTx]);
    await t.db.query('DELETE FROM tcc_transaction WHERE tx_id = ?', [recentTx]);
    const audit = await shop.audit();
    expect(audit.ok).toBe(false);
    expect(JSON.stringify(audit.violations)).toContain(recent.orderId);
  });
});
