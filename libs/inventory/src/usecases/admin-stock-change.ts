import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { IdempotencyClaim, RowMoved, writeRowLast } from '@app/core';
import { ProductService } from '@app/product';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import type { StockDto } from '../dto/stock.dto';
import { toStockDto } from '../inventory.mapper';
import { adminStockRetriesTotal, stockOperationsTotal } from '../inventory.metrics';
import type { Movement, RowKey, StockRow } from '../inventory.types';
import { StockSync } from '../reconcile/stock-sync';
import { StockRepository } from '../repositories/stock.repository';

/** What an operation makes of the rows it read (in the same order), and the ledger entries that say why. */
export interface StockPlan {
  after: StockRow[];
  movements: Omit<Movement, 'deltaReserved'>[];
}

/**
 * The frame every admin stock operation shares, in one local transaction: read the rows, let
 * the operation plan their new state (or refuse, from what it read), write the ledger and the
 * request's idempotency record (a retry after a crash replays the answer instead of moving the
 * units again), and write each row LAST, as a compare-and-set on the version read: its lock is
 * held for that statement and the COMMIT only, even on a row a flash sale is selling from. A
 * row that moved meanwhile rolls the attempt back and it runs again; the last attempt reads the
 * rows FOR UPDATE, so it cannot lose. After the commit: the rows' low-stock alerts, the
 * operation metric and the Redis sync (so the gate learns the new availability).
 */
@Injectable()
export class AdminStockChange {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly stock: StockRepository,
    private readonly alerts: LowStockAlerts,
    private readonly sync: StockSync,
    private readonly catalogue: ProductService,
  ) {}

  /** An operation on one row: NOT_FOUND unless the sku and the warehouse exist (asked fresh: a 404 matters more than speed here). */
  async applyToRow(
    reason: string | null,
    row: RowKey,
    plan: (before: StockRow) => StockPlan,
    claim: IdempotencyClaim | null,
  ): Promise<StockDto> {
    await this.catalogue.requireSkuAndWarehouse(row.sku, row.warehouse);
    const key = { sku: row.sku, warehouse: row.warehouse };
    return this.apply(
      reason,
      [key],
      ([before]) => plan(before),
      ([after]) => toStockDto(after),
      claim,
    );
  }

  /**
   * `keys` in lock order (they are written in this order). `reason` null: no ledger-level
   * operation (a threshold change): no metric and no Redis sync.
   */
  async apply<T>(
    reason: string | null,
    keys: RowKey[],
    plan: (before: StockRow[]) => StockPlan,
    answer: (after: StockRow[]) => T,
    claim: IdempotencyClaim | null,
  ): Promise<T> {
    const { before, after, response } = await writeRowLast(
      this.dataSource,
      async (em, locked) => {
        const before = await this.stock.readVersioned(em, keys, locked);
        const { after, movements } = plan(before);
        await this.stock.writeLedger(
          em,
          movements.map((m) => ({ ...m, deltaReserved: 0 })),
        );
        const response = answer(after);
        await claim?.recordIn(em, response);
        for (let i = 0; i < keys.length; i++) {
          if (!(await this.stock.replaceIfUnchanged(em, before[i], after[i]))) throw new RowMoved();
        }
        return { before, after, response };
      },
      () => adminStockRetriesTotal.inc(),
    );
    await this.afterCommit(reason, keys, before, after);
    return response;
  }

  private async afterCommit(
    reason: string | null,
    keys: RowKey[],
    before: StockRow[],
    after: StockRow[],
  ): Promise<void> {
    await this.alerts.recheckAfterCommit(keys);
    if (!reason) return;
    stockOperationsTotal.inc({ reason });
    for (let i = 0; i < keys.length; i++) {
      await this.sync.afterCommit([keys[i]], { unitsAdded: after[i].onHand >= before[i].onHand });
    }
  }
}
