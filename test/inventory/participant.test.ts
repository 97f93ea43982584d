import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import { inTransaction } from '@app/core';
import { INVENTORY_PARTICIPANT } from '@app/inventory';
import { branchIdOf } from '@app/tcc';
import { InventoryParticipant } from '../../libs/inventory/src/branches/inventory.participant';
import { startTestApp, TestApp } from '../helpers/test-app';
import { auditViolations, checkoutDriver, countBy, createProduct, inbound, rowState } from './checkout-driver';

/** The `inventory` TCC participant and the gate, driven as checkout and refund drive them. */
describe('inventory participant', () => {
  let t: TestApp;
  let driver: ReturnType<typeof checkoutDriver>;

  beforeAll(async () => {
    t = await startTestApp();
    driver = checkoutDriver(t);
    await createProduct(t, 'LIM-1', 2);
    await createProduct(t, 'M-A');
    await createProduct(t, 'M-B');
    await createProduct(t, 'ALERT-1');
    await createProduct(t, 'RS-1');
    await createProduct(t, 'ID-1');
    await inbound(t, 'LIM-1', 1000);
    await inbound(t, 'M-A', 10);
    await inbound(t, 'M-B', 1);
    await inbound(t, 'ALERT-1', 6);
    await inbound(t, 'RS-1', 5);
    await inbound(t, 'ID-1', 5);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('gives a user racing 20 concurrent orders against maxPerUser=2 at most 2 units', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => driver.freeze('greedy', [{ sku: 'LIM-1', qty: 1 }])),
    );
    expect(countBy(results.map((r) => r.outcome))).toEqual({ FROZEN: 2, PURCHASE_LIMIT_EXCEEDED: 18 });
    const [counter] = await t.db.query(`SELECT qty FROM purchase_counter WHERE user_id = 'greedy' AND sku = 'LIM-1'`);
    expect(Number(counter.qty)).toBe(2);
    expect(await rowState(t, 'LIM-1')).toMatchObject({ reserved: 2, frozenUnits: 2, redisAvailable: 998 });

    // A cancelled order gives its units back to the user's limit; a paid one keeps them counted.
    const [first, second] = results.filter((r) => r.outcome === 'FROZEN');
    await driver.coordinator.rollback(first.txId, 'USER');
    await driver.coordinator.commit(second.txId);
    expect((await driver.freeze('greedy', [{ sku: 'LIM-1', qty: 2 }])).outcome).toBe('PURCHASE_LIMIT_EXCEEDED');
    expect((await driver.freeze('greedy', [{ sku: 'LIM-1', qty: 1 }])).outcome).toBe('FROZEN');
    expect((await driver.freeze('greedy', [{ sku: 'LIM-1', qty: 1 }])).outcome).toBe('PURCHASE_LIMIT_EXCEEDED');
    expect((await driver.freeze('someone-else', [{ sku: 'LIM-1', qty: 2 }])).outcome).toBe('FROZEN');
    expect(await auditViolations(t)).toEqual([]);
  });

  it('freezes all lines of an order or none, in MySQL and in Redis', async () => {
    const refused = await driver.freeze('multi', [
      { sku: 'M-A', qty: 2 },
      { sku: 'M-B', qty: 2 },
    ]);
    expect(refused.outcome).toBe('INSUFFICIENT_STOCK');
    expect(await rowState(t, 'M-A')).toMatchObject({ reserved: 0, redisAvailable: 10 });

    // Redis wrongly believes M-B has plenty: the gate passes, MySQL refuses, and the rollback's
    // afterCancel gives back both Redis reservations although MySQL froze nothing (empty rollback).
    await t.redis.hset('inv:{m-b:main}', 'available', 50);
    const mysqlRefused = await driver.freeze('multi', [
      { sku: 'M-A', qty: 2 },
      { sku: 'M-B', qty: 2 },
    ]);
    expect(mysqlRefused.outcome).toBe('INSUFFICIENT_STOCK');
    expect(await rowState(t, 'M-A')).toMatchObject({ reserved: 0, frozenCount: 0, redisAvailable: 10 });
    expect(await rowState(t, 'M-B')).toMatchObject({ reserved: 0, frozenCount: 0, redisAvailable: 50 });
    const [{ n }] = await t.db.query(
      `SELECT COUNT(*) AS n FROM stock_movement WHERE sku IN ('M-A', 'M-B') AND reason = 'RESERVE'`,
    );
    expect(Number(n)).toBe(0);
    await t.request('POST', '/v1/admin/reconcile');
    expect((await rowState(t, 'M-B')).redisAvailable).toBe(1);

    const ok = await driver.freeze('multi', [
      { sku: 'M-B', qty: 1 },
      { sku: 'M-A', qty: 3 },
    ]);
    expect(ok.outcome).toBe('FROZEN');
    expect(await rowState(t, 'M-A')).toMatchObject({ reserved: 3, redisAvailable: 7 });
    expect(await rowState(t, 'M-B')).toMatchObject({ reserved: 1, redisAvailable: 0 });
  });

  it('makes gate reserve and release idempotent per freeze id and refuses a reserve after its release', async () => {
    const freezeId = branchIdOf(ulid(), INVENTORY_PARTICIPANT);
    await driver.gate.reserve(freezeId, 'main', [{ sku: 'ID-1', qty: 2 }]);
    await driver.gate.reserve(freezeId, 'main', [{ sku: 'ID-1', qty: 2 }]);
    expect((await rowState(t, 'ID-1')).redisAvailable).toBe(3);
    await driver.gate.releaseFreeze(freezeId, 'main', ['ID-1']);
    await driver.gate.releaseFreeze(freezeId, 'main', ['ID-1']);
    expect((await rowState(t, 'ID-1')).redisAvailable).toBe(5);
    await expect(driver.gate.reserve(freezeId, 'main', [{ sku: 'ID-1', qty: 2 }])).rejects.toMatchObject({
      code: 'INSUFFICIENT_STOCK',
    });
    // A release that arrives before its reserve leaves a tombstone: the late reserve is refused.
    const early = branchIdOf(ulid(), INVENTORY_PARTICIPANT);
    await driver.gate.releaseFreeze(early, 'main', ['ID-1']);
    await expect(driver.gate.reserve(early, 'main', [{ sku: 'ID-1', qty: 1 }])).rejects.toMatchObject({
      code: 'INSUFFICIENT_STOCK',
    });
    expect((await rowState(t, 'ID-1')).redisAvailable).toBe(5);
  });

  it('refuses an unknown warehouse at the gate with NOT_FOUND and an unknown sku in the try with NOT_FOUND', async () => {
    await expect(
      driver.gate.reserve(branchIdOf(ulid(), INVENTORY_PARTICIPANT), 'atlantis', [{ sku: 'ID-1', qty: 1 }]),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const txId = ulid();
    await driver.coordinator.begin({ name: 'checkout', txId });
    await expect(
      driver.coordinator.tryBranch(txId, INVENTORY_PARTICIPANT, {
        kind: 'freeze',
        warehouse: 'main',
        userId: 'u',
        lines: [{ sku: 'GHOST', qty: 1 }],
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await driver.coordinator.rollback(txId, 'TRY_FAILED');
  });

  it('refuses a malformed payload in the try without changing anything', async () => {
    const txId = ulid();
    await driver.coordinator.begin({ name: 'checkout', txId });
    await expect(
      driver.coordinator.tryBranch(txId, INVENTORY_PARTICIPANT, {
        kind: 'freeze',
        warehouse: 'main',
        userId: 'u',
        lines: [
          { sku: 'ID-1', qty: 1 },
          { sku: 'ID-1', qty: 1 },
        ],
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await driver.coordinator.rollback(txId, 'TRY_FAILED');
    expect(await rowState(t, 'ID-1')).toMatchObject({ reserved: 0 });
  });

  it('rolls back a refused malformed payload to the end: the transaction is CANCELLED, not stuck retrying', async () => {
    for (const payload of [
      { kind: 'freeze', warehouse: 'main', userId: 'u', lines: 'oops' },
      { kind: 'freeze', warehouse: 'main', userId: 'u', lines: [{ qty: 1 }] },
      { kind: 'freeze', userId: 'u', lines: [{ sku: 'ID-1', qty: 1 }] },
      null,
    ]) {
      const txId = ulid();
      await driver.coordinator.begin({ name: 'checkout', txId });
      // malformed on purpose: past the compiler, as a payload from an old or foreign caller would be
      await expect(driver.coordinator.tryBranch(txId, INVENTORY_PARTICIPANT, payload as never)).rejects.toBeDefined();
      expect(await driver.coordinator.rollback(txId, 'TRY_FAILED')).toEqual({ txId, status: 'CANCELLED' });
    }
    expect(await rowState(t, 'ID-1')).toMatchObject({ reserved: 0 });
  });

  it('refuses a restock or an unknown kind it could never confirm in the try, so a commit ends CONFIRMED', async () => {
    for (const payload of [
      { kind: 'restock', warehouse: 'main', lines: 'oops', ref: 'r1' },
      { kind: 'restock', lines: [{ sku: 'ID-1', qty: 1 }], ref: 'r1' },
      { kind: 'gift', warehouse: 'main', lines: [{ sku: 'ID-1', qty: 1 }] },
    ]) {
      const txId = ulid();
      await driver.coordinator.begin({ name: 'refund', txId });
      await expect(driver.coordinator.tryBranch(txId, INVENTORY_PARTICIPANT, payload as never)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      expect(await driver.coordinator.commit(txId)).toEqual({ txId, status: 'CONFIRMED' });
    }
  });

  it('commits once and releases once, whatever the number of calls', async () => {
    const handler = t.app.get(InventoryParticipant);
    const db = t.app.get<DataSource>(getDataSourceToken());
    const txId = ulid();
    const ctx = { txId, branchId: branchIdOf(txId, INVENTORY_PARTICIPANT), txName: 'checkout' };
    const payload = { kind: 'freeze' as const, warehouse: 'main', userId: 'direct', lines: [{ sku: 'ID-1', qty: 2 }] };
    await inTransaction(db, (em) => handler.try(em, ctx, payload));
    await inTransaction(db, (em) => handler.confirm(em, ctx, payload));
    await inTransaction(db, (em) => handler.confirm(em, ctx, payload));
    await inTransaction(db, (em) => handler.cancel(em, ctx, payload));
    expect(await rowState(t, 'ID-1')).toMatchObject({ onHand: 3, reserved: 0, ledgerOnHand: 3, ledgerReserved: 0 });
    const [{ state }] = await t.db.query('SELECT state FROM stock_freeze WHERE tx_id = ?', [txId]);
    expect(state).toBe('CONFIRMED');
  });

  it('restocks a refund on confirm (ledger RESTOCK, Redis in step) and holds nothing before', async () => {
    await t.request('POST', '/v1/admin/reconcile');
    const txId = await driver.coordinator.begin({ name: 'refund' });
    await driver.coordinator.tryBranch(txId, INVENTORY_PARTICIPANT, {
      kind: 'restock',
      warehouse: 'main',
      lines: [{ sku: 'RS-1', qty: 3 }],
      ref: 'order-42',
    });
    expect(await rowState(t, 'RS-1')).toMatchObject({ onHand: 5, redisAvailable: 5 });
    expect(await driver.coordinator.commit(txId)).toEqual({ txId, status: 'CONFIRMED' });
    expect(await rowState(t, 'RS-1')).toMatchObject({ onHand: 8, reserved: 0, ledgerOnHand: 8, redisAvailable: 8 });
    const [m] = (await t.request('GET', '/v1/admin/stock/movements?sku=RS-1')).body.items;
    expect(m).toMatchObject({ reason: 'RESTOCK', ref: 'order-42', deltaOnHand: 3 });
  });

  it('opens a low-stock alert when a freeze crosses the threshold and resolves it when the freeze is released', async () => {
    await t.request('PUT', '/v1/admin/stock/threshold', {
      body: { sku: 'ALERT-1', warehouse: 'main', threshold: 5 },
      idempotencyKey: ulid(),
    });
    const r = await driver.freeze('alerted', [{ sku: 'ALERT-1', qty: 2 }]);
    expect(r.outcome).toBe('FROZEN');
    const open = (await t.request('GET', '/v1/admin/alerts?state=OPEN&sku=ALERT-1')).body;
    expect(open.items).toMatchObject([{ sku: 'ALERT-1', available: 4, threshold: 5, state: 'OPEN' }]);
    await driver.coordinator.rollback(r.txId, 'USER');
    expect((await t.request('GET', '/v1/admin/alerts?state=OPEN&sku=ALERT-1')).body.total).toBe(0);
  });

  it('flags a FROZEN freeze of a finished transaction in the audit (invariant 3)', async () => {
    const r = await driver.freeze('audited', [{ sku: 'ID-1', qty: 1 }]);
    expect(r.outcome).toBe('FROZEN');
    expect(await auditViolations(t)).toEqual([]);
    await t.db.query(`UPDATE tcc_transaction SET status = 'CANCELLED' WHERE tx_id = ?`, [r.txId]);
    const violations = await auditViolations(t);
    expect(violations).toEqual([expect.objectContaining({ invariant: 3, sku: 'ID-1', warehouse: 'main' })]);
    await t.db.query(`UPDATE tcc_transaction SET status = 'TRYING' WHERE tx_id = ?`, [r.txId]);
    await driver.coordinator.rollback(r.txId, 'USER');
    expect(await auditViolations(t)).toEqual([]);
  });

  it('flags a row whose reserved disagrees with its freezes and ledger (invariants 1 and 2)', async () => {
    await t.db.query(`UPDATE stock SET reserved = reserved + 1 WHERE sku = 'RS-1' AND warehouse = 'main'`);
    const violations = await auditViolations(t);
    expect(violations.map((v) => v.invariant)).toEqual([2]);
    await t.db.query(`UPDATE stock SET reserved = reserved - 1 WHERE sku = 'RS-1' AND warehouse = 'main'`);
    expect(await auditViolations(t)).toEqual([]);
  });
});
