import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ulid } from 'ulid';
import { DataSource } from 'typeorm';
import { DomainError, inTransaction } from '@app/core';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { CatalogueLookup } from '../catalogue/catalogue-lookup';
import { StockDto, StocktakeDto } from '../dto/stock.dto';
import { stockOperationsTotal } from '../inventory.metrics';
import { StockRepository } from '../stock/stock.repository';
import { StockSync } from '../stock/stock-sync';
import { toStockDto } from '../stock/stock-view';

/**
 * Stocktake: on_hand becomes the counted quantity; the difference goes to the ledger. A count
 * below `reserved` is refused (409 CONFLICT): those units are promised to orders.
 */
@Injectable()
export class TakeStock {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly stock: StockRepository,
    private readonly alerts: LowStockAlerts,
    private readonly catalogue: CatalogueLookup,
    private readonly sync: StockSync,
  ) {}

  async execute(dto: StocktakeDto): Promise<StockDto> {
    await this.catalogue.requireRow(dto.sku, dto.warehouse);
    const key = { sku: dto.sku, warehouse: dto.warehouse };
    const ref = ulid();
    const { row, changes, before } = await inTransaction(this.db, async (em) => {
      // The delta needs the old value: lock the row first (created empty if missing), then write.
      const before = await this.stock.lockRow(em, key);
      if (!(await this.stock.setOnHand(em, key, dto.countedQty))) {
        throw DomainError.conflict(`Counted ${dto.countedQty} is below the ${before.reserved} units reserved for orders`, {
          sku: dto.sku,
          warehouse: dto.warehouse,
          countedQty: dto.countedQty,
          reserved: before.reserved,
        });
      }
      const delta = dto.countedQty - before.onHand;
      await this.stock.writeLedger(em, [{ ...key, reason: 'STOCKTAKE', ref, deltaOnHand: delta, deltaReserved: 0 }]);
      const changes = await this.alerts.afterChange(em, [key]);
      return { row: (await this.stock.findRow(key, em))!, changes, before };
    });
    this.alerts.report(changes);
    stockOperationsTotal.inc({ reason: 'STOCKTAKE' });
    await this.sync.afterCommit([key], { unitsAdded: dto.countedQty > before.onHand });
    return toStockDto(row);
  }
}
