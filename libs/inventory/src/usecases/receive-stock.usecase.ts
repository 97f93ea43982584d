import { Injectable } from '@nestjs/common';
import { IdempotencyClaim, newId } from '@app/core';
import { ProductService } from '@app/product';
import { AdminStockChange } from './admin-stock-change';
import { StockDto, StockMoveDto } from '../dto/stock.dto';
import { StockRepository } from '../repositories/stock.repository';
import { toStockDto } from '../inventory.mapper';

/** Inbound: units arrive (the stock row is created on the first delivery). */
@Injectable()
export class ReceiveStockUseCase {
  constructor(
    private readonly stock: StockRepository,
    private readonly catalogue: ProductService,
    private readonly change: AdminStockChange,
  ) {}

  async execute(dto: StockMoveDto, claim: IdempotencyClaim | null = null): Promise<StockDto> {
    await this.catalogue.requireSkuAndWarehouse(dto.sku, dto.warehouse);
    const key = { sku: dto.sku, warehouse: dto.warehouse };
    const ref = dto.reference ?? newId();
    return this.change.apply(
      'INBOUND',
      async (em) => {
        await this.stock.addOnHand(em, key, dto.qty);
        await this.stock.writeLedger(em, [{ ...key, reason: 'INBOUND', ref, deltaOnHand: dto.qty, deltaReserved: 0 }]);
        return [{ key, direction: 'up' }];
      },
      ([row]) => toStockDto(row),
      claim,
    );
  }
}
