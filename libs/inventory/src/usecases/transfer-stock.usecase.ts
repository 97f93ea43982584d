import { Injectable } from '@nestjs/common';
import { DomainError, IdempotencyClaim, newId } from '@app/core';
import { ProductService } from '@app/product';
import { TransferDto, TransferResultDto } from '../dto/stock.dto';
import { insufficientStock } from '../inventory.errors';
import { toStockDto } from '../inventory.mapper';
import type { RowKey } from '../inventory.types';
import { AdminStockChange } from './admin-stock-change';

/**
 * Moves available units between two warehouses in one local transaction. Both rows are
 * changed in warehouse-code order whatever the direction, so two opposite transfers lock
 * the rows in the same order and cannot deadlock.
 */
@Injectable()
export class TransferStockUseCase {
  constructor(
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
      ordered,
      (rows) => {
        const [fromRow, toRow] = from === ordered[0] ? rows : [rows[1], rows[0]];
        const available = fromRow.onHand - fromRow.reserved;
        if (available < dto.qty) throw insufficientStock(dto.sku, dto.from, dto.qty, { available });
        return {
          after: rows.map((r) => ({ ...r, onHand: r.onHand + (r === fromRow ? -dto.qty : dto.qty) })),
          movements: [
            { ...key(fromRow), reason: 'TRANSFER_OUT', ref, deltaOnHand: -dto.qty },
            { ...key(toRow), reason: 'TRANSFER_IN', ref, deltaOnHand: dto.qty },
          ],
        };
      },
      (rows) => {
        const [fromRow, toRow] = from === ordered[0] ? rows : [rows[1], rows[0]];
        return { from: toStockDto(fromRow), to: toStockDto(toRow) };
      },
      claim,
    );
  }
}

const key = (row: RowKey): RowKey => ({ sku: row.sku, warehouse: row.warehouse });
