import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { IdempotencyClaim, inTransaction } from '@app/core';
import { ProductService } from '@app/product';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import type { StockDto } from '../dto/stock.dto';
import { toStockDto } from '../inventory.mapper';
import { stockOperationsTotal } from '../inventory.metrics';
import type { RowKey, StockRow } from '../inventory.types';
import { StockSync } from '../reconcile/stock-sync';
import { AlertChange } from '../repositories/alert.repository';
import { StockRepository } from '../repositories/stock.repository';

/** Which way a row's availability moved, so only the alert check that can fire runs. */
export interface RowMove {
  key: RowKey;
  direction: 'up' | 'down' | 'either';
}

/**
 * The frame every admin stock operation shares. `change` runs in one local transaction with
 * the alert checks, the re-read of the rows and the request's idempotency record (so a retry
 * after a crash replays the answer instead of moving the units again); after the commit come
 * the alert logs, the operation metric and the Redis sync of the rows (so the gate learns the
 * new availability).
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

  /**
   * An operation on one row: NOT_FOUND unless the sku and the warehouse exist (asked fresh: a
   * 404 matters more than speed here), then `apply`; `change` says which way the row moved.
   */
  async applyToRow(
    reason: string | null,
    row: RowKey,
    change: (em: EntityManager, key: RowKey) => Promise<RowMove['direction']>,
    claim: IdempotencyClaim | null,
  ): Promise<StockDto> {
    await this.catalogue.requireSkuAndWarehouse(row.sku, row.warehouse);
    const key = { sku: row.sku, warehouse: row.warehouse };
    return this.apply(
      reason,
      async (em) => [{ key, direction: await change(em, key) }],
      ([stock]) => toStockDto(stock),
      claim,
    );
  }

  /**
   * `change` returns the rows it moved, in the order `answer` wants them. `reason` null: no
   * ledger-level operation (a threshold change): no metric and no Redis sync.
   */
  async apply<T>(
    reason: string | null,
    change: (em: EntityManager) => Promise<RowMove[]>,
    answer: (rows: StockRow[]) => T,
    claim: IdempotencyClaim | null,
  ): Promise<T> {
    const { moves, response, alertChanges } = await inTransaction(this.dataSource, async (em) => {
      const moves = await change(em);
      const alertChanges: AlertChange[] = [];
      for (const { key, direction } of moves) alertChanges.push(...(await this.checkAlerts(em, key, direction)));
      const rows: StockRow[] = [];
      for (const { key } of moves) rows.push((await this.stock.findRow(key, em))!);
      const response = answer(rows);
      await claim?.recordIn(em, response);
      return { moves, response, alertChanges };
    });
    this.alerts.report(alertChanges);
    if (reason) {
      stockOperationsTotal.inc({ reason });
      for (const { key, direction } of moves) await this.sync.afterCommit([key], { unitsAdded: direction !== 'down' });
    }
    return response;
  }

  private checkAlerts(em: EntityManager, key: RowKey, direction: RowMove['direction']): Promise<AlertChange[]> {
    if (direction === 'up') return this.alerts.afterIncrease(em, [key]);
    if (direction === 'down') return this.alerts.afterDecrease(em, [key]);
    return this.alerts.afterChange(em, [key]);
  }
}
