import { Injectable } from '@nestjs/common';
import { IdempotencyClaim, newId } from '@app/core';
import { StockDto, StockMoveDto } from '../dto/stock.dto';
import { StockRepository } from '../repositories/stock.repository';
import { AdminStockChange } from './admin-stock-change';

/** Inbound: units arrive (the stock row is created on the first delivery). */
@Injectable()
export class ReceiveStockUseCase {
  constructor(
    private readonly stock: StockRepository,
    private readonly change: AdminStockChange,
  ) {}

  execute(dto: StockMoveDto, claim: IdempotencyClaim | null = null): Promise<StockDto> {
    const ref = dto.reference ?? newId();
    return this.change.applyToRow(
      'INBOUND',
      dto,
      async (em, key) => {
        await this.stock.addOnHand(em, key, dto.qty);
        await this.stock.writeLedger(em, [{ ...key, reason: 'INBOUND', ref, deltaOnHand: dto.qty, deltaReserved: 0 }]);
        return 'up';
      },
      claim,
    );
  }
}
