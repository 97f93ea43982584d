import { Injectable } from '@nestjs/common';
import { DomainError, IdempotencyClaim, newId } from '@app/core';
import { StockDto, StocktakeDto } from '../dto/stock.dto';
import { StockRepository } from '../repositories/stock.repository';
import { AdminStockChange } from './admin-stock-change';

/**
 * Stocktake: on_hand becomes the counted quantity; the difference goes to the ledger. A count
 * below `reserved` is refused (409 CONFLICT): those units are promised to orders.
 */
@Injectable()
export class TakeStockUseCase {
  constructor(
    private readonly stock: StockRepository,
    private readonly change: AdminStockChange,
  ) {}

  execute(dto: StocktakeDto, claim: IdempotencyClaim | null = null): Promise<StockDto> {
    const ref = newId();
    return this.change.applyToRow(
      'STOCKTAKE',
      dto,
      async (em, key) => {
        // The delta needs the old value: lock the row first (created empty if missing), then write.
        const before = await this.stock.lockRow(em, key);
        if (!(await this.stock.setOnHand(em, key, dto.countedQty))) {
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
        await this.stock.writeLedger(em, [{ ...key, reason: 'STOCKTAKE', ref, deltaOnHand: delta, deltaReserved: 0 }]);
        return delta > 0 ? 'up' : delta < 0 ? 'down' : 'either';
      },
      claim,
    );
  }
}
