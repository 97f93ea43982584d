import { startTestApp, TestApp } from '../helpers/test-app';
import { auditViolations, checkoutDriver, countBy, createProduct, inbound, rowState } from './checkout-driver';

/** A flash sale through the gate (sold-out flag, Redis Lua) and the MySQL freeze, Redis up. */
describe('flash sale with Redis', () => {
  let t: TestApp;
  let driver: ReturnType<typeof checkoutDriver>;

  beforeAll(async () => {
    // The sold-out flag lasts a minute here, not the default second: on a slow machine the
    // 2,000-request wave alone outlasted a second, the flag expired before the late wave and
    // its refusals fell through to Redis. What is proven below does not depend on the TTL.
    t = await startTestApp({ env: { SOLD_OUT_FLAG_TTL_MS: '60000' } });
    driver = checkoutDriver(t);
    await createProduct(t, 'FLASH-1');
    await inbound(t, 'FLASH-1', 100);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('freezes exactly 100 units out of 2,000 concurrent reservations from 300 users; the rest get INSUFFICIENT_STOCK', async () => {
    const results = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => driver.freeze(`user-${i % 300}`, [{ sku: 'FLASH-1', qty: 1 }])),
    );
    expect(countBy(results.map((r) => r.outcome))).toEqual({ FROZEN: 100, INSUFFICIENT_STOCK: 1900 });
    // Sold out now: the next wave is refused from process memory (no Redis, no MySQL).
    const memoryBefore = await refusedAt('memory');
    const redisBefore = await refusedAt('redis');
    const late = await Promise.all(
      Array.from({ length: 200 }, (_, i) => driver.freeze(`late-${i}`, [{ sku: 'FLASH-1', qty: 1 }])),
    );
    expect(countBy(late.map((r) => r.outcome))).toEqual({ INSUFFICIENT_STOCK: 200 });
    expect(await refusedAt('memory')).toBe(memoryBefore + 200);
    expect(await refusedAt('redis')).toBe(redisBefore);

    const row = await rowState(t, 'FLASH-1');
    expect(row).toEqual({
      onHand: 100,
      reserved: 100,
      frozenUnits: 100,
      frozenCount: 100,
      ledgerOnHand: 100,
      ledgerReserved: 100,
      redisAvailable: 0,
    });
    expect(await auditViolations(t)).toEqual([]);

    // Confirm half, roll back the other half: units leave or come back in MySQL and Redis alike.
    const frozen = results.filter((r) => r.outcome === 'FROZEN');
    await Promise.all(frozen.slice(0, 50).map((r) => driver.coordinator.commit(r.txId)));
    await Promise.all(frozen.slice(50).map((r) => driver.coordinator.rollback(r.txId, 'USER')));
    const after = await rowState(t, 'FLASH-1');
    expect(after).toEqual({
      onHand: 50,
      reserved: 0,
      frozenUnits: 0,
      frozenCount: 0,
      ledgerOnHand: 50,
      ledgerReserved: 0,
      redisAvailable: 50,
    });
    expect(await auditViolations(t)).toEqual([]);
    const report = (await t.request('POST', '/v1/admin/reconcile')).body;
    expect(report).toEqual({ checked: 1, drifted: 0, fixed: 0 });
  });

  it('counts reservations by outcome and deciding level in /metrics', async () => {
    const metrics = (await t.request('GET', '/metrics', { as: 'none' })).body as string;
    expect(metrics).toMatch(/inventory_reservations_total\{outcome="reserved",level="mysql"\} \d+/);
    expect(metrics).toMatch(/inventory_reservations_total\{outcome="refused",level="redis"\} \d+/);
    expect(metrics).toMatch(/inventory_reservations_total\{outcome="refused",level="memory"\} \d+/);
  });

  async function refusedAt(level: string): Promise<number> {
    const metrics = (await t.request('GET', '/metrics', { as: 'none' })).body as string;
    const m = new RegExp(`inventory_reservations_total\\{outcome="refused",level="${level}"\\} (\\d+)`).exec(metrics);
    return m ? Number(m[1]) : 0;
  }
});
