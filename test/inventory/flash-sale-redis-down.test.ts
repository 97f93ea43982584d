import { startTestApp, TestApp } from '../helpers/test-app';
import { auditViolations, checkoutDriver, countBy, createProduct, inbound, rowState } from './checkout-driver';

/** The same flash sale with the Redis client pointed at a dead port: MySQL alone must not oversell. */
describe('flash sale with Redis down', () => {
  let t: TestApp;
  let driver: ReturnType<typeof checkoutDriver>;

  beforeAll(async () => {
    // 2,000 transactions are started at once in-process, straight into a pool of 20: on a busy
    // machine the last wait longer than the default acquire deadline, and would be shed (503).
    t = await startTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:6390', DB_ACQUIRE_TIMEOUT_MS: '60000' } });
    driver = checkoutDriver(t);
    await createProduct(t, 'FLASH-2');
    await inbound(t, 'FLASH-2', 100);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('reports Redis down in /health as degraded', async () => {
    const res = await t.request('GET', '/health', { as: 'none' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('degraded');
  });

  it('freezes exactly 100 units out of 2,000 concurrent reservations through the MySQL-only path', async () => {
    const results = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => driver.freeze(`user-${i % 300}`, [{ sku: 'FLASH-2', qty: 1 }])),
    );
    expect(countBy(results.map((r) => r.outcome))).toEqual({ FROZEN: 100, INSUFFICIENT_STOCK: 1900 });

    const row = await rowState(t, 'FLASH-2');
    expect({ ...row, redisAvailable: undefined }).toEqual({
      onHand: 100,
      reserved: 100,
      frozenUnits: 100,
      frozenCount: 100,
      ledgerOnHand: 100,
      ledgerReserved: 100,
      redisAvailable: undefined,
    });
    expect(await auditViolations(t)).toEqual([]);

    const metrics = (await t.request('GET', '/metrics', { as: 'none' })).body as string;
    expect(metrics).toMatch(/inventory_gate_passthrough_total\{reason="redis_down"\} 2000/);
    expect(metrics).toMatch(/inventory_reservations_total\{outcome="refused",level="mysql"\} 1900/);
    expect(metrics).toMatch(/inventory_gate_redis_mode 0/);
  });

  it('reconciliation reports it could not reach Redis instead of failing', async () => {
    const res = await t.request('POST', '/v1/admin/reconcile');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ checked: 1, drifted: 0, fixed: 0 });
  });
});
