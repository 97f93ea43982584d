import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { affectedRows } from '@app/core';
import { writeOrRun, type LocalUnit } from '@app/tcc';
import { FreezeState, sortedLines } from '../inventory.types';

export interface FreezeRow {
  freezeId: string;
  txId: string;
  branchId: string;
  sku: string;
  warehouse: string;
  qty: number;
  state: FreezeState;
  userId: string | null;
  limitCharged: boolean;
}

export type NewFreeze = Omit<FreezeRow, 'state'>;

/** Params: the new state, the branch id. */
const MOVE_BRANCH_FROZEN = `UPDATE stock_freeze SET state = ?, updated_at = UTC_TIMESTAMP(3) WHERE branch_id = ? AND state = 'FROZEN'`;

/** Freeze id of one order line: the branch id (= the Redis freeze id) plus the sku. */
export function lineFreezeId(branchId: string, sku: string): string {
  return `${branchId}:${sku}`;
}

/** The only class that touches `stock_freeze` and `purchase_counter`. */
@Injectable()
export class FreezeRepository {
  /** New FROZEN rows; queued with the rest of the local transaction's rows when there is a unit. */
  async insertFrozen(em: EntityManager, freezes: NewFreeze[], local?: LocalUnit): Promise<void> {
    if (freezes.length === 0) return;
    const values = freezes
      .map(() => "(?, ?, ?, ?, ?, ?, 'FROZEN', ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))")
      .join(', ');
    await writeOrRun(
      em,
      local,
      `INSERT INTO stock_freeze (freeze_id, tx_id, branch_id, sku, warehouse, qty, state, user_id, limit_charged, created_at, updated_at)
       VALUES ${values}`,
      freezes.flatMap((f) => [
        f.freezeId,
        f.txId,
        f.branchId,
        f.sku,
        f.warehouse,
        f.qty,
        f.userId,
        f.limitCharged ? 1 : 0,
      ]),
    );
  }

  /**
   * Every FROZEN freeze of the branch → CONFIRMED, queued in the unit: a first confirm
   * (`BranchContext.firstRun`) knows how many lines it froze, so the count only checks it.
   */
  queueConfirmBranch(local: LocalUnit, branchId: string, lines: number, mismatch: () => Error): void {
    local.expect(MOVE_BRANCH_FROZEN, ['CONFIRMED', branchId], lines, mismatch);
  }

  /** Every FROZEN freeze of the branch → `to`; the count moved. */
  async moveBranchStates(em: EntityManager, branchId: string, to: 'CONFIRMED' | 'RELEASED'): Promise<number> {
    return affectedRows(await em.query(MOVE_BRANCH_FROZEN, [to, branchId]));
  }

  /**
   * Every FROZEN freeze of the branch → `to`; returns those moved (none when another attempt
   * moved them first). The conditional UPDATE decides; a branch's lines always move together.
   */
  async moveBranchFromFrozen(em: EntityManager, branchId: string, to: 'CONFIRMED' | 'RELEASED'): Promise<FreezeRow[]> {
    if ((await this.moveBranchStates(em, branchId, to)) === 0) return [];
    const rows: RawFreeze[] = await em.query(
      `SELECT freeze_id, tx_id, branch_id, sku, warehouse, qty, state, user_id, limit_charged
         FROM stock_freeze WHERE branch_id = ? AND state = ?`,
      [branchId, to],
    );
    return sortedLines(rows.map(toFreeze));
  }

  /** The row's FROZEN freezes (branch id = the Redis freeze id, and qty), for reconciliation. */
  async frozenOfRow(
    em: EntityManager,
    key: { sku: string; warehouse: string },
  ): Promise<Array<{ branchId: string; qty: number }>> {
    const rows: Array<{ branch_id: string; qty: string | number }> = await em.query(
      `SELECT branch_id, qty FROM stock_freeze WHERE sku = ? AND warehouse = ? AND state = 'FROZEN'`,
      [key.sku, key.warehouse],
    );
    return rows.map((r) => ({ branchId: r.branch_id, qty: Number(r.qty) }));
  }

  /**
   * MySQL states of these freeze ids, for reconciliation (missing ids are absent from the map).
   * The map is keyed by the LOWER-CASED id: the column compares without case, so the stock row's
   * spelling of a sku may differ from the one the freeze was written with.
   */
  async statesOf(em: EntityManager, freezeIds: string[]): Promise<Map<string, FreezeState>> {
    const states = new Map<string, FreezeState>();
    for (let i = 0; i < freezeIds.length; i += 500) {
      const chunk = freezeIds.slice(i, i + 500);
      const rows: Array<{ freeze_id: string; state: FreezeState }> = await em.query(
        `SELECT freeze_id, state FROM stock_freeze WHERE freeze_id IN (${chunk.map(() => '?').join(',')})`,
        chunk,
      );
      for (const r of rows) states.set(r.freeze_id.toLowerCase(), r.state);
    }
    return states;
  }

  /**
   * Charges n units against the user's limit for a sku. The UPDATE is the decision (no
   * read-then-write); the INSERT only runs for a user's first purchase of the sku.
   */
  async chargePurchaseLimit(
    em: EntityManager,
    userId: string,
    sku: string,
    n: number,
    limit: number,
  ): Promise<boolean> {
    if (n > limit) return false;
    const charge = () =>
      em.query(
        `UPDATE purchase_counter SET qty = qty + ?, updated_at = UTC_TIMESTAMP(3)
          WHERE user_id = ? AND sku = ? AND qty + ? <= ?`,
        [n, userId, sku, n, limit],
      );
    if (affectedRows(await charge()) === 1) return true;
    const inserted: unknown = await em.query(
      `INSERT IGNORE INTO purchase_counter (user_id, sku, qty, updated_at) VALUES (?, ?, ?, UTC_TIMESTAMP(3))`,
      [userId, sku, n],
    );
    if (affectedRows(inserted) === 1) return true;
    // The row exists: either over the limit, or a concurrent first purchase inserted it.
    return affectedRows(await charge()) === 1;
  }

  async refundPurchaseLimit(em: EntityManager, userId: string, sku: string, n: number): Promise<void> {
    await em.query(
      `UPDATE purchase_counter SET qty = qty - ?, updated_at = UTC_TIMESTAMP(3) WHERE user_id = ? AND sku = ? AND qty >= ?`,
      [n, userId, sku, n],
    );
  }
}

interface RawFreeze {
  freeze_id: string;
  tx_id: string;
  branch_id: string;
  sku: string;
  warehouse: string;
  qty: string | number;
  state: FreezeState;
  user_id: string | null;
  limit_charged: number;
}

function toFreeze(r: RawFreeze): FreezeRow {
  return {
    freezeId: r.freeze_id,
    txId: r.tx_id,
    branchId: r.branch_id,
    sku: r.sku,
    warehouse: r.warehouse,
    qty: Number(r.qty),
    state: r.state,
    userId: r.user_id,
    limitCharged: Number(r.limit_charged) === 1,
  };
}
