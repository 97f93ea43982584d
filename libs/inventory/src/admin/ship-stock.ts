import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ulid } from 'ulid';
import { DataSource } from 'typeorm';
import { inTransaction } from '@app/core';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { CatalogueLookup } from '../catalogue/catalogue-lookup';
import { StockDto, StockMoveDto } from '../dto/stock.dto';
import { insufficientStock } from '../inventory.errors';
import { stockOperationsTotal } from '../inventory.metrics';
import { StockRepository } from '../stock/stock.repository';
import { StockSync } from '../stock/stock-sync';
import { toStockDto } from '../stock/stock-view';

/** Outbound: units leave outside an order. Only available units may leave (frozen ones are sold). */
@Injectable()
export class ShipStock {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly stock: StockRepository,
    private readonly alerts: LowStockAlerts,
    private readonly catalogue: CatalogueLookup,
    private readonly sync: StockSync,
  ) {}

  async execute(dto: StockMoveDto): Promise<StockDto> {
    await this.catalogue.requireRow(dto.sku, dto.warehouse);
    const key = { sku: dto.sku, warehouse: dto.warehouse };
    const ref = dto.reference ?? ulid();
    const { row, changes } = await inTransaction(this.db, async (em) => {
      if (!(await this.stock.removeAvailable(em, key, dto.qty))) {
        const current = await this.stock.findRow(key, em);
        throw insufficientStock(dto.sku, dto.warehouse, dto.qty, {
          available: current ? current.onHand - current.reserved : 0,
        });
      }
      await this.stock.writeLedger(em, [{ ...key, reason: 'OUTBOUND', ref, deltaOnHand: -dto.qty, deltaReserved: 0 }]);
      const changes = await this.alerts.afterDecrease(em, [key]);
      return { row: (await this.stock.findRow(key, em))!, changes };
    });
    this.alerts.report(changes);
    stockOperationsTotal.inc({ reason: 'OUTBOUND' });
    await this.sync.afterCommit([key], { unitsAdded: false });
    return toStockDto(row);
  }
}
