import { Injectable } from '@nestjs/common';
import { DomainError, IdempotencyClaim, newId } from '@app/core';
import { StockDto, StocktakeDto } from '../dto/stock.dto';
import { AdminStockChange } from './admin-stock-change';

/**
 * Stocktake: on_hand becomes the counted quantity; the difference goes to the ledger. A count
 * below `reserved` is refused (409 CONFLICT): those units are promised to orders.
 */
@Injectable()
export class TakeStockUseCase {
  constructor(private readonly change: AdminStockChange) {}

  execute(dto: StocktakeDto, claim: IdempotencyClaim | null = null): Promise<StockDto> {
    const ref = newId();
    return this.change.applyToRow(
      'STOCKTAKE',
      dto,
      (before) => {
        if (dto.countedQty < before.reserved) {
          throw DomainError.conflict(
            `Counted ${dto.countedQty} is below the ${before.reserved} units reserved for orders`,
            {
              sku: dto.sku,
              warehouse: dto.warehouse,
              countedQty: dto.countedQty,
              reserved: before.reserved,
            },
          );
        }
        const delta = dto.countedQty - before.onHand;
        return {
          after: [{ ...before, onHand: dto.countedQty }],
          movements: [{ sku: before.sku, warehouse: before.warehouse, reason: 'STOCKTAKE', ref, deltaOnHand: delta }],
        };
      },
      claim,
    );
  }
}
