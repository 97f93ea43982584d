import { Injectable } from '@nestjs/common';
import { IdempotencyClaim, newId } from '@app/core';
import { StockDto, StockMoveDto } from '../dto/stock.dto';
import { insufficientStock } from '../inventory.errors';
import { AdminStockChange } from './admin-stock-change';

/** Outbound: units leave outside an order. Only available units may leave (frozen ones are sold). */
@Injectable()
export class ShipStockUseCase {
  constructor(private readonly change: AdminStockChange) {}

  execute(dto: StockMoveDto, claim: IdempotencyClaim | null = null): Promise<StockDto> {
    const ref = dto.reference ?? newId();
    return this.change.applyToRow(
      'OUTBOUND',
      dto,
      (before) => {
        const available = before.onHand - before.reserved;
        if (available < dto.qty) throw insufficientStock(dto.sku, dto.warehouse, dto.qty, { available });
        return {
          after: [{ ...before, onHand: before.onHand - dto.qty }],
          movements: [{ sku: before.sku, warehouse: before.warehouse, reason: 'OUTBOUND', ref, deltaOnHand: -dto.qty }],
        };
      },
      claim,
    );
  }
}
