import { Injectable } from '@nestjs/common';
import { IdempotencyClaim, newId } from '@app/core';
import { ProductService } from '@app/product';
import { AdminStockChange } from './admin-stock-change';
import { StockDto, StockMoveDto } from '../dto/stock.dto';
import { insufficientStock } from '../inventory.errors';
import { StockRepository } from '../repositories/stock.repository';
import { toStockDto } from '../inventory.mapper';

/** Outbound: units leave outside an order. Only available units may leave (frozen ones are sold). */
@Injectable()
export class ShipStockUseCase {
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
      'OUTBOUND',
      async (em) => {
        if (!(await this.stock.removeAvailable(em, key, dto.qty))) {
          const current = await this.stock.findRow(key, em);
          throw insufficientStock(dto.sku, dto.warehouse, dto.qty, {
            available: current ? current.onHand - current.reserved : 0,
          });
        }
        await this.stock.writeLedger(em, [{ ...key, reason: 'OUTBOUND', ref, deltaOnHand: -dto.qty, deltaReserved: 0 }]);
        return [{ key, direction: 'down' }];
      },
      ([row]) => toStockDto(row),
      claim,
    );
  }
}
