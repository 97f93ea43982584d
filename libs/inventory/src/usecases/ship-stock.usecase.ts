import { Injectable } from '@nestjs/common';
import { IdempotencyClaim, newId } from '@app/core';
import { StockDto, StockMoveDto } from '../dto/stock.dto';
import { insufficientStock } from '../inventory.errors';
import { StockRepository } from '../repositories/stock.repository';
import { AdminStockChange } from './admin-stock-change';

/** Outbound: units leave outside an order. Only available units may leave (frozen ones are sold). */
@Injectable()
export class ShipStockUseCase {
  constructor(
    private readonly stock: StockRepository,
    private readonly change: AdminStockChange,
  ) {}

  execute(dto: StockMoveDto, claim: IdempotencyClaim | null = null): Promise<StockDto> {
    const ref = dto.reference ?? newId();
    return this.change.applyToRow(
      'OUTBOUND',
      dto,
      async (em, key) => {
        if (!(await this.stock.removeAvailable(em, key, dto.qty))) {
          const current = await this.stock.findRow(key, em);
          throw insufficientStock(dto.sku, dto.warehouse, dto.qty, {
            available: current ? current.onHand - current.reserved : 0,
          });
        }
        await this.stock.writeLedger(em, [
          { ...key, reason: 'OUTBOUND', ref, deltaOnHand: -dto.qty, deltaReserved: 0 },
        ]);
        return 'down';
      },
      claim,
    );
  }
}
