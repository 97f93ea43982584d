import { ulid } from 'ulid';
import { DomainError } from '@app/core';
import { INVENTORY_PARTICIPANT, InventoryGate } from '@app/inventory';
import { branchIdOf, TccCoordinator } from '@app/tcc';
import type { TestApp } from '../helpers/test-app';

export interface CheckoutResult {
  txId: string;
  /** 'FROZEN', or the error code of the refusal. */
  outcome: string;
}

/**
 * Drives the inventory the way checkout does (docs/module-contracts.md): gate first, then
 * begin → tryBranch('inventory') and rollback on a refusal.
 */
export function checkoutDriver(t: TestApp) {
  const gate = t.app.get(InventoryGate);
  const coordinator = t.app.get(TccCoordinator);

  async function freeze(
    userId: string,
    lines: Array<{ sku: string; qty: number }>,
    warehouse = 'main',
  ): Promise<CheckoutResult> {
    const txId = ulid();
    try {
      await gate.reserve(branchIdOf(txId, INVENTORY_PARTICIPANT), warehouse, lines);
    } catch (err) {
      return { txId, outcome: codeOf(err) };
    }
    await coordinator.begin({ name: 'checkout', txId, timeoutMs: 120_000 });
    try {
      await coordinator.tryBranch(txId, INVENTORY_PARTICIPANT, { kind: 'freeze', warehouse, userId, lines });
      return { txId, outcome: 'FROZEN' };
    } catch (err) {
      await coordinator.rollback(txId, 'TRY_FAILED');
      return { txId, outcome: codeOf(err) };
    }
  }

  return { gate, coordinator, freeze };
}

function codeOf(err: unknown): string {
  if (err instanceof DomainError) return err.code;
  throw err;
}

export function countBy<T extends string>(values: T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** The row in MySQL with its freeze and ledger sums, and Redis' `available`. */
export async function rowState(t: TestApp, sku: string, warehouse = 'main') {
  const [row] = await t.db.query('SELECT on_hand, reserved FROM stock WHERE sku = ? AND warehouse = ?', [
    sku,
    warehouse,
  ]);
  const [frozen] = await t.db.query(
    `SELECT COALESCE(SUM(qty), 0) AS units, COUNT(*) AS n FROM stock_freeze WHERE sku = ? AND warehouse = ? AND state = 'FROZEN'`,
    [sku, warehouse],
  );
  const [ledger] = await t.db.query(
    `SELECT COALESCE(SUM(delta_on_hand), 0) AS on_hand, COALESCE(SUM(delta_reserved), 0) AS reserved
       FROM stock_movement WHERE sku = ? AND warehouse = ?`,
    [sku, warehouse],
  );
  const redisAvailable = await t.redis
    .hget(`inv:{${sku.toLowerCase()}:${warehouse.toLowerCase()}}`, 'available')
    .catch(() => null);
  return {
    onHand: Number(row.on_hand),
    reserved: Number(row.reserved),
    frozenUnits: Number(frozen.units),
    frozenCount: Number(frozen.n),
    ledgerOnHand: Number(ledger.on_hand),
    ledgerReserved: Number(ledger.reserved),
    redisAvailable: redisAvailable === null ? null : Number(redisAvailable),
  };
}

export async function createProduct(t: TestApp, sku: string, maxPerUser?: number) {
  const res = await t.request('POST', '/v1/admin/products', {
    body: { sku, name: sku, category: 'test', priceCents: 100, ...(maxPerUser ? { maxPerUser } : {}) },
  });
  if (res.status !== 201) throw new Error(`create product ${sku}: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function inbound(t: TestApp, sku: string, qty: number, warehouse = 'main') {
  const res = await t.request('POST', '/v1/admin/stock/inbound', {
    body: { sku, warehouse, qty },
    idempotencyKey: ulid(),
  });
  if (res.status !== 200) throw new Error(`inbound ${sku}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function auditViolations(t: TestApp) {
  const res = await t.request('GET', '/v1/admin/audit');
  return res.body.violations as Array<{ invariant: number; detail: string }>;
}
