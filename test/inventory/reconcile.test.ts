import { ulid } from 'ulid';
import { pollUntil, sleep } from '@app/core';
import { INVENTORY_PARTICIPANT, Reconciler } from '@app/inventory';
import { branchIdOf } from '@app/tcc';
import { startTestApp, TestApp } from '../helpers/test-app';
import { auditViolations, checkoutDriver, countBy, createProduct, inbound, rowState } from './checkout-driver';

/**
 * Reconciliation while checkouts run: Redis keys vanish mid-sale, resets race reservations and
 * releases. MySQL never oversells, and Redis ends equal to MySQL without counting a unit twice.
 */
describe('reconciliation under load', () => {
  let t: TestApp;
  let driver: ReturnType<typeof checkoutDriver>;
  let reconciler: Reconciler;

  beforeAll(async () => {
    t = await startTestApp();
    driver = checkoutDriver(t);
    reconciler = t.app.get(Reconciler);
    await createProduct(t, 'REC-1');
    await createProduct(t, 'REC-2');
    await inbound(t, 'REC-1', 100);
    await inbound(t, 'REC-2', 60);
  });

  afterAll(async () => {
    await t?.close();
  });

  /** Samples the row while work runs: MySQL must never hold more reserved than on hand. */
  function watchForOversell(sku: string) {
    let stop = false;
    let worst = { reserved: 0, onHand: Infinity, frozen: 0 };
    const done = (async () => {
      while (!stop) {
        const [row] = await t.db.query(
          `SELECT s.on_hand, s.reserved, (SELECT COALESCE(SUM(qty), 0) FROM stock_freeze f
             WHERE f.sku = s.sku AND f.warehouse = s.warehouse AND f.state IN ('FROZEN', 'CONFIRMED')) AS frozen
             FROM stock s WHERE s.sku = ? AND s.warehouse = 'main'`,
          [sku],
        );
        const sample = { reserved: Number(row.reserved), onHand: Number(row.on_hand), frozen: Number(row.frozen) };
        if (sample.reserved - sample.onHand > worst.reserved - worst.onHand || sample.frozen > worst.frozen)
          worst = sample;
        await sleep(5);
      }
    })();
    return async () => {
      stop = true;
      await done;
      return worst;
    };
  }

  it('never oversells when the Redis keys are deleted mid-sale, and Redis equals MySQL after reconciliation', async () => {
    const stopWatching = watchForOversell('REC-1');
    const wave = (from: number, n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) => driver.freeze(`user-${(from + i) % 300}`, [{ sku: 'REC-1', qty: 1 }])),
      );

    const first = wave(0, 600);
    // The row's Redis state disappears while reservations are in flight (as after a flush): as
    // soon as Redis holds some (the row and its reservation index), whatever the machine's speed.
    const rowKeys = () => t.redis.keys(`${t.testEnv.redisPrefix}inv:{rec-1:main}*`);
    await pollUntil(async () => (await rowKeys()).length >= 2, { timeoutMs: 10_000, intervalMs: 2 });
    const keys = await rowKeys();
    expect(keys.length).toBeGreaterThanOrEqual(2);
    await t.redis.del(...keys.map((k) => k.slice(t.testEnv.redisPrefix.length)));
    const second = wave(600, 1400);
    const results = [...(await first), ...(await second)];
    const worst = await stopWatching();

    const outcomes = countBy(results.map((r) => r.outcome));
    expect(outcomes.FROZEN).toBeLessThanOrEqual(100);
    expect(outcomes.FROZEN + outcomes.INSUFFICIENT_STOCK).toBe(2000);
    expect(worst.reserved).toBeLessThanOrEqual(worst.onHand);
    expect(worst.frozen).toBeLessThanOrEqual(100);

    const report = await reconciler.reconcileAll();
    expect(report.checked).toBe(2);
    const row = await rowState(t, 'REC-1');
    expect(row.reserved).toBe(outcomes.FROZEN);
    expect(row.frozenUnits).toBe(outcomes.FROZEN);
    expect(row.ledgerReserved).toBe(row.reserved);
    expect(row.redisAvailable).toBe(row.onHand - row.reserved);
    expect(await auditViolations(t)).toEqual([]);

    // Everything rolled back: all 100 units are available again in both stores.
    await Promise.all(
      results.filter((r) => r.outcome === 'FROZEN').map((r) => driver.coordinator.rollback(r.txId, 'USER')),
    );
    await reconciler.reconcileAll();
    expect(await rowState(t, 'REC-1')).toMatchObject({ onHand: 100, reserved: 0, redisAvailable: 100 });
  });

  it('resets racing reservations, commits and rollbacks without drift: Redis equals MySQL once quiet, without a final reset', async () => {
    let resetting = true;
    const resets = (async () => {
      let n = 0;
      while (resetting) {
        await reconciler.syncRow({ sku: 'REC-2', warehouse: 'main' });
        n++;
      }
      return n;
    })();

    const results = await Promise.all(
      Array.from({ length: 400 }, async (_, i) => {
        const r = await driver.freeze(`buyer-${i}`, [{ sku: 'REC-2', qty: 1 + (i % 2) }]);
        if (r.outcome !== 'FROZEN') return r;
        // A third paid, a third cancelled, a third left pending.
        if (i % 3 === 0) await driver.coordinator.commit(r.txId);
        if (i % 3 === 1) await driver.coordinator.rollback(r.txId, 'USER');
        return r;
      }),
    );
    resetting = false;
    expect(await resets).toBeGreaterThan(3);

    const row = await rowState(t, 'REC-2');
    expect(countBy(results.map((r) => r.outcome)).FROZEN).toBeGreaterThan(0);
    expect(row.reserved).toBe(row.frozenUnits);
    expect(row.redisAvailable).toBe(row.onHand - row.reserved);
    expect(await reconciler.reconcileAll()).toEqual({ checked: 2, drifted: 0, fixed: 0 });
    expect(await auditViolations(t)).toEqual([]);
  });

  it('drops a Redis reservation whose checkout died before its transaction, and keeps one whose try is still to come', async () => {
    const key = { sku: 'REC-1', warehouse: 'main' };
    await reconciler.reconcileAll();
    const before = (await rowState(t, 'REC-1')).redisAvailable!;
    await driver.gate.reserve(branchIdOf('crashed-checkout', INVENTORY_PARTICIPANT), 'main', [
      { sku: 'REC-1', qty: 3 },
    ]);
    await driver.gate.reserve(branchIdOf('slow-checkout', INVENTORY_PARTICIPANT), 'main', [{ sku: 'REC-1', qty: 2 }]);
    // Make the first one look old: the process that reserved it died minutes ago.
    await t.redis.hset(
      'inv:{rec-1:main}:r',
      branchIdOf('crashed-checkout', INVENTORY_PARTICIPANT),
      `3:${Date.now() - 10 * 60_000}`,
    );
    await reconciler.syncRow(key);
    expect((await rowState(t, 'REC-1')).redisAvailable).toBe(before - 2);
    // The slow checkout's release later gives exactly its 2 units back.
    await driver.gate.releaseFreeze(branchIdOf('slow-checkout', INVENTORY_PARTICIPANT), 'main', ['REC-1']);
    expect((await rowState(t, 'REC-1')).redisAvailable).toBe(before);
  });

  it('drops a settled Redis reservation whose transaction was rolled back without reaching Redis', async () => {
    const key = { sku: 'REC-1', warehouse: 'main' };
    await reconciler.reconcileAll();
    const before = (await rowState(t, 'REC-1')).redisAvailable!;
    const txId = ulid();
    await driver.gate.reserve(branchIdOf(txId, INVENTORY_PARTICIPANT), 'main', [{ sku: 'REC-1', qty: 4 }]);
    await driver.coordinator.begin({ name: 'checkout', txId });
    // The rollback happened while Redis was unreachable: MySQL knows, Redis still holds the units.
    await t.db.query(`UPDATE tcc_transaction SET status = 'CANCELLED' WHERE tx_id = ?`, [txId]);
    expect((await rowState(t, 'REC-1')).redisAvailable).toBe(before - 4);
    // Young reservations are left alone (their own release is probably under way) ...
    await reconciler.syncRow(key);
    expect((await rowState(t, 'REC-1')).redisAvailable).toBe(before - 4);
    // ... a settled one (seconds old) is dropped.
    await t.redis.hset('inv:{rec-1:main}:r', branchIdOf(txId, INVENTORY_PARTICIPANT), `4:${Date.now() - 10_000}`);
    await reconciler.syncRow(key);
    expect((await rowState(t, 'REC-1')).redisAvailable).toBe(before);
    // The late release, if it ever comes, gives nothing back a second time.
    await driver.gate.releaseFreeze(branchIdOf(txId, INVENTORY_PARTICIPANT), 'main', ['REC-1']);
    expect((await rowState(t, 'REC-1')).redisAvailable).toBe(before);
  });
});
