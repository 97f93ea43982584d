import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { affectedRows, isDuplicateKeyError, newMonotonicId, selectPage, Where } from '@app/core';
import { writeOrRun, type LocalUnit } from '@app/tcc';
import type { Movement, RowKey, StockRow, VersionedRow } from '../inventory.types';

interface RawStock {
  sku: string;
  warehouse: string;
  on_hand: string | number;
  reserved: string | number;
  low_stock_threshold: string | number;
}

function toRow(r: RawStock): StockRow {
  return {
    sku: r.sku,
    warehouse: r.warehouse,
    onHand: Number(r.on_hand),
    reserved: Number(r.reserved),
    threshold: Number(r.low_stock_threshold),
  };
}

/**
 * Name of a stock row's deferred sum in a local unit (one UPDATE per row per local transaction).
 * Lower-cased like MySQL compares, so two spellings of a row share it; the names' order is the lock order.
 */
export function stockRowSum(warehouse: string, sku: string): string {
  return `stock|${warehouse.toLowerCase()}|${sku.toLowerCase()}`;
}

const NEW_ROW = `INSERT INTO stock (sku, warehouse, on_hand, reserved, low_stock_threshold, version, created_at, updated_at)`;

/**
 * The only class that touches `stock` and its ledger `stock_movement`. Every method that
 * changes a row is ONE conditional statement; the caller reads the affected-row count and
 * writes the ledger entry in the same local transaction (`em`).
 */
@Injectable()
export class StockRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** try: reserve n units if that many are available. false = not enough (or no row). */
  async reserve(em: EntityManager, key: RowKey, n: number): Promise<boolean> {
    const result: unknown = await em.query(
      `UPDATE stock SET reserved = reserved + ?, version = version + 1, updated_at = UTC_TIMESTAMP(3)
        WHERE sku = ? AND warehouse = ? AND on_hand - reserved >= ?`,
      [n, key.sku, key.warehouse, n],
    );
    return affectedRows(result) === 1;
  }

  /** confirm: the reserved units leave the warehouse. */
  async commitReserved(em: EntityManager, key: RowKey, n: number): Promise<boolean> {
    const result: unknown = await em.query(
      `UPDATE stock SET on_hand = on_hand - ?, reserved = reserved - ?, version = version + 1, updated_at = UTC_TIMESTAMP(3)
        WHERE sku = ? AND warehouse = ? AND reserved >= ? AND on_hand >= ?`,
      [n, n, key.sku, key.warehouse, n, n],
    );
    return affectedRows(result) === 1;
  }

  /** cancel: reserved units become available again. */
  async releaseReserved(em: EntityManager, key: RowKey, n: number): Promise<boolean> {
    const result: unknown = await em.query(
      `UPDATE stock SET reserved = reserved - ?, version = version + 1, updated_at = UTC_TIMESTAMP(3)
        WHERE sku = ? AND warehouse = ? AND reserved >= ?`,
      [n, key.sku, key.warehouse, n],
    );
    return affectedRows(result) === 1;
  }

  /** Restock (a refund brings units back): adds units, creating the row when it is missing. */
  async addOnHand(em: EntityManager, key: RowKey, n: number): Promise<void> {
    await em.query(
      `${NEW_ROW} VALUES (?, ?, ?, 0, 0, 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))
       ON DUPLICATE KEY UPDATE on_hand = on_hand + VALUES(on_hand), version = version + 1, updated_at = UTC_TIMESTAMP(3)`,
      [key.sku, key.warehouse, n],
    );
  }

  /**
   * The rows of `keys` as they stand (in the keys' order; a missing row reads as an empty one),
   * with the version each must still have when it is written. `lock`: read them FOR UPDATE.
   */
  async readVersioned(em: EntityManager, keys: RowKey[], lock: boolean): Promise<VersionedRow[]> {
    const rows: Array<RawStock & { version: string | number }> = await em.query(
      `SELECT sku, warehouse, on_hand, reserved, low_stock_threshold, version FROM stock
        WHERE ${keys.map(() => '(sku = ? AND warehouse = ?)').join(' OR ')}${lock ? ' FOR UPDATE' : ''}`,
      keys.flatMap((k) => [k.sku, k.warehouse]),
    );
    // MySQL compares without case: `main` and `MAIN` are one row.
    const same = (a: RowKey, b: RowKey) =>
      a.sku.toLowerCase() === b.sku.toLowerCase() && a.warehouse.toLowerCase() === b.warehouse.toLowerCase();
    return keys.map((key) => {
      const raw = rows.find((r) => same(r, key));
      if (!raw) return { ...key, onHand: 0, reserved: 0, threshold: 0, version: null };
      return { ...toRow(raw), version: Number(raw.version) };
    });
  }

  /**
   * Writes a row's new on_hand and threshold if it is still the version `before` read (inserts it
   * if it was missing): one statement. false = the row moved meanwhile; read it again.
   */
  async replaceIfUnchanged(em: EntityManager, before: VersionedRow, after: StockRow): Promise<boolean> {
    if (before.version === null) {
      try {
        await em.query(`${NEW_ROW} VALUES (?, ?, ?, 0, ?, 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`, [
          before.sku,
          before.warehouse,
          after.onHand,
          after.threshold,
        ]);
        return true;
      } catch (err) {
        if (isDuplicateKeyError(err)) return false;
        throw err;
      }
    }
    const result: unknown = await em.query(
      `UPDATE stock SET on_hand = ?, low_stock_threshold = ?, version = version + 1, updated_at = UTC_TIMESTAMP(3)
        WHERE sku = ? AND warehouse = ? AND version = ?`,
      [after.onHand, after.threshold, before.sku, before.warehouse, before.version],
    );
    return affectedRows(result) === 1;
  }

  /** Ledger rows; queued with the rest of the local transaction's rows when there is a unit. */
  async writeLedger(em: EntityManager, movements: Movement[], local?: LocalUnit): Promise<void> {
    if (movements.length === 0) return;
    const values = movements.map(() => '(?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))').join(', ');
    const params = movements.flatMap((m) => [
      newMonotonicId(),
      m.sku,
      m.warehouse,
      m.reason,
      m.ref,
      m.deltaOnHand,
      m.deltaReserved,
    ]);
    await writeOrRun(
      em,
      local,
      `INSERT INTO stock_movement (id, sku, warehouse, reason, ref, delta_on_hand, delta_reserved, created_at) VALUES ${values}`,
      params,
    );
  }

  async findRow(key: RowKey, em: EntityManager = this.dataSource.manager): Promise<StockRow | null> {
    const rows: RawStock[] = await em.query(
      'SELECT sku, warehouse, on_hand, reserved, low_stock_threshold FROM stock WHERE sku = ? AND warehouse = ?',
      [key.sku, key.warehouse],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** Available units of these skus in one warehouse, one query (the catalogue's `available`). */
  async availableOf(skus: string[], warehouse: string): Promise<Map<string, number>> {
    if (skus.length === 0) return new Map();
    const rows: Array<{ sku: string; available: string | number }> = await this.dataSource.query(
      `SELECT sku, on_hand - reserved AS available FROM stock WHERE warehouse = ? AND sku IN (${skus.map(() => '?').join(',')})`,
      [warehouse, ...skus],
    );
    return new Map(rows.map((r) => [r.sku, Number(r.available)]));
  }

  async findPage(
    filter: { sku?: string; warehouse?: string; lowOnly?: boolean },
    limit: number,
    offset: number,
  ): Promise<[StockRow[], number]> {
    const where = new Where()
      .equals('sku', filter.sku)
      .equals('warehouse', filter.warehouse)
      .holds(filter.lowOnly && 'on_hand - reserved < low_stock_threshold');
    const [rows, total] = await selectPage<RawStock>(
      this.dataSource,
      {
        columns: 'sku, warehouse, on_hand, reserved, low_stock_threshold',
        from: 'stock',
        where,
        orderBy: 'sku, warehouse',
      },
      limit,
      offset,
    );
    return [rows.map(toRow), total];
  }

  /**
   * One page of row keys after `afterKey` (keyset paging). Spelled out rather than as
   * `(sku, warehouse) > (?, ?)`: MariaDB scans that from the first row, which made a full
   * reconciliation pass quadratic in the number of rows; this form is a primary-key range.
   */
  async findAllKeys(afterKey: RowKey | null, limit: number): Promise<RowKey[]> {
    const rows: RowKey[] = afterKey
      ? await this.dataSource.query(
          `SELECT sku, warehouse FROM stock WHERE sku >= ? AND (sku > ? OR warehouse > ?)
            ORDER BY sku, warehouse LIMIT ?`,
          [afterKey.sku, afterKey.sku, afterKey.warehouse, limit],
        )
      : await this.dataSource.query('SELECT sku, warehouse FROM stock ORDER BY sku, warehouse LIMIT ?', [limit]);
    return rows.map((r) => ({ sku: r.sku, warehouse: r.warehouse }));
  }

  async findMovements(
    filter: { sku?: string; warehouse?: string },
    limit: number,
    offset: number,
  ): Promise<[MovementView[], number]> {
    const where = new Where().equals('sku', filter.sku).equals('warehouse', filter.warehouse);
    const [rows, total] = await selectPage<RawMovement>(
      this.dataSource,
      {
        columns: 'id, sku, warehouse, reason, ref, delta_on_hand, delta_reserved, created_at',
        from: 'stock_movement',
        where,
        orderBy: 'created_at DESC, id DESC',
      },
      limit,
      offset,
    );
    return [rows.map(toMovementView), total];
  }
}

interface RawMovement {
  id: string;
  sku: string;
  warehouse: string;
  reason: Movement['reason'];
  ref: string;
  delta_on_hand: string | number;
  delta_reserved: string | number;
  created_at: Date;
}

export interface MovementView {
  id: string;
  sku: string;
  warehouse: string;
  reason: Movement['reason'];
  ref: string;
  deltaOnHand: number;
  deltaReserved: number;
  createdAt: string;
}

function toMovementView(r: RawMovement): MovementView {
  return {
    id: r.id,
    sku: r.sku,
    warehouse: r.warehouse,
    reason: r.reason,
    ref: r.ref,
    deltaOnHand: Number(r.delta_on_hand),
    deltaReserved: Number(r.delta_reserved),
    createdAt: new Date(r.created_at).toISOString(),
  };
}
