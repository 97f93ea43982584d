import { Injectable } from '@nestjs/common';
import { IdempotencyClaim } from '@app/core';
import { ProductService } from '@app/product';
import { StockDto, ThresholdDto } from '../dto/stock.dto';
import { StockRepository } from '../repositories/stock.repository';
import { toStockDto } from '../inventory.mapper';
import { AdminStockChange } from './admin-stock-change';

/** Sets the low-stock threshold of a row; the row's alert opens or resolves at once if it must. */
@Injectable()
export class SetLowStockThresholdUseCase {
  constructor(
    private readonly stock: StockRepository,
    private readonly catalogue: ProductService,
    private readonly change: AdminStockChange,
  ) {}

  async execute(dto: ThresholdDto, claim: IdempotencyClaim | null = null): Promise<StockDto> {
    await this.catalogue.requireSkuAndWarehouse(dto.sku, dto.warehouse);
    const key = { sku: dto.sku, warehouse: dto.warehouse };
    // No units move: no ledger row, no operation metric, nothing for the Redis gate to learn.
    return this.change.apply(
      null,
      async (em) => {
        await this.stock.setThreshold(em, key, dto.threshold);
        return [{ key, direction: 'either' }];
      },
      ([row]) => toStockDto(row),
      claim,
    );
  }
}
