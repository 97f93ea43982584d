import { Injectable } from '@nestjs/common';
import { IdempotencyClaim, newId } from '@app/core';
import { StockDto, StockMoveDto } from '../dto/stock.dto';
import { AdminStockChange } from './admin-stock-change';

/** Inbound: units arrive (the stock row is created on the first delivery). */
@Injectable()
export class ReceiveStockUseCase {
  constructor(private readonly change: AdminStockChange) {}

  execute(dto: StockMoveDto, claim: IdempotencyClaim | null = null): Promise<StockDto> {
    const ref = dto.reference ?? newId();
    return this.change.applyToRow(
      'INBOUND',
      dto,
      (before) => ({
        after: [{ ...before, onHand: before.onHand + dto.qty }],
        movements: [{ sku: before.sku, warehouse: before.warehouse, reason: 'INBOUND', ref, deltaOnHand: dto.qty }],
      }),
      claim,
    );
  }
}
