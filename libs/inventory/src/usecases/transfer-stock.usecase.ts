import { Injectable } from '@nestjs/common';
import { DomainError, IdempotencyClaim, newId } from '@app/core';
import { ProductService } from '@app/product';
import { TransferDto, TransferResultDto } from '../dto/stock.dto';
import { insufficientStock } from '../inventory.errors';
import { toStockDto } from '../inventory.mapper';
import { StockRepository } from '../repositories/stock.repository';
import { AdminStockChange } from './admin-stock-change';

/**
 * Moves available units between two warehouses in one local transaction. Both rows are
 * changed in warehouse-code order whatever the direction, so two opposite transfers lock
 * the rows in the same order and cannot deadlock.
 */
@Injectable()
export class TransferStockUseCase {
  constructor(
    private readonly stock: StockRepository,
    private readonly catalogue: ProductService,
    private readonly change: AdminStockChange,
  ) {}

  async execute(dto: TransferDto, claim: IdempotencyClaim | null = null): Promise<TransferResultDto> {
    // Codes compare without case, as in MySQL: `main` and `MAIN` are one warehouse.
    const [fromCode, toCode] = [dto.from.toLowerCase(), dto.to.toLowerCase()];
    if (fromCode === toCode) throw DomainError.validation('from and to must be different warehouses');
    await this.catalogue.requireSkuAndWarehouse(dto.sku, dto.from);
    await this.catalogue.requireSkuAndWarehouse(dto.sku, dto.to);
    const from = { sku: dto.sku, warehouse: dto.from };
    const to = { sku: dto.sku, warehouse: dto.to };
    const ref = newId();
    const ordered = fromCode < toCode ? [from, to] : [to, from];

    return this.change.apply(
      'TRANSFER',
      async (em) => {
        for (const key of ordered) {
          if (key === from) {
            if (!(await this.stock.removeAvailable(em, from, dto.qty))) {
              const current = await this.stock.findRow(from, em);
              throw insufficientStock(dto.sku, dto.from, dto.qty, {
                available: current ? current.onHand - current.reserved : 0,
              });
            }
          } else {
            await this.stock.addOnHand(em, to, dto.qty);
          }
        }
        await this.stock.writeLedger(em, [
          { ...from, reason: 'TRANSFER_OUT', ref, deltaOnHand: -dto.qty, deltaReserved: 0 },
          { ...to, reason: 'TRANSFER_IN', ref, deltaOnHand: dto.qty, deltaReserved: 0 },
        ]);
        return [
          { key: from, direction: 'down' },
          { key: to, direction: 'up' },
        ];
      },
      ([fromRow, toRow]) => ({ from: toStockDto(fromRow), to: toStockDto(toRow) }),
      claim,
    );
  }
}
