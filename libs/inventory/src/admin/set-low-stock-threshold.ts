import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { inTransaction } from '@app/core';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { CatalogueLookup } from '../catalogue/catalogue-lookup';
import { StockDto, ThresholdDto } from '../dto/stock.dto';
import { StockRepository } from '../stock/stock.repository';
import { toStockDto } from '../stock/stock-view';

/** Sets the low-stock threshold of a row; the row's alert opens or resolves at once if it must. */
@Injectable()
export class SetLowStockThreshold {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly stock: StockRepository,
    private readonly alerts: LowStockAlerts,
    private readonly catalogue: CatalogueLookup,
  ) {}

  async execute(dto: ThresholdDto): Promise<StockDto> {
    await this.catalogue.requireRow(dto.sku, dto.warehouse);
    const key = { sku: dto.sku, warehouse: dto.warehouse };
    const { row, changes } = await inTransaction(this.db, async (em) => {
      await this.stock.setThreshold(em, key, dto.threshold);
      const changes = await this.alerts.afterChange(em, [key]);
      return { row: (await this.stock.findRow(key, em))!, changes };
    });
    this.alerts.report(changes);
    return toStockDto(row);
  }
}
