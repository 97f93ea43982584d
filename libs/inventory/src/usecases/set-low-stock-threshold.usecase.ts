import { Injectable } from '@nestjs/common';
import { IdempotencyClaim } from '@app/core';
import { StockDto, ThresholdDto } from '../dto/stock.dto';
import { AdminStockChange } from './admin-stock-change';

/** Sets the low-stock threshold of a row; the row's alert opens or resolves at once if it must. */
@Injectable()
export class SetLowStockThresholdUseCase {
  constructor(private readonly change: AdminStockChange) {}

  execute(dto: ThresholdDto, claim: IdempotencyClaim | null = null): Promise<StockDto> {
    // No units move: no ledger row, no operation metric, nothing for the Redis gate to learn.
    return this.change.applyToRow(
      null,
      dto,
      (before) => ({ after: [{ ...before, threshold: dto.threshold }], movements: [] }),
      claim,
    );
  }
}
