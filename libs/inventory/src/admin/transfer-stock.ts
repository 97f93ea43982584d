import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ulid } from 'ulid';
import { DataSource } from 'typeorm';
import { DomainError, inTransaction } from '@app/core';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { CatalogueLookup } from '../catalogue/catalogue-lookup';
import { TransferDto, TransferResultDto } from '../dto/stock.dto';
import { insufficientStock } from '../inventory.errors';
import { stockOperationsTotal } from '../inventory.metrics';
import { StockRepository } from '../stock/stock.repository';
import { StockSync } from '../stock/stock-sync';
import { toStockDto } from '../stock/stock-view';

/**
 * Moves available units between two warehouses in one local transaction. Both rows are
 * changed in warehouse-code order whatever the direction, so two opposite transfers lock
 * the rows in the same order and cannot deadlock.
 */
@Injectable()
export class TransferStock {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly stock: StockRepository,
    private readonly alerts: LowStockAlerts,
    private readonly catalogue: CatalogueLookup,
    private readonly sync: StockSync,
  ) {}

  async execute(dto: TransferDto): Promise<TransferResultDto> {
    if (dto.from === dto.to) throw DomainError.validation('from and to must be different warehouses');
    await this.catalogue.requireRow(dto.sku, dto.from);
    await this.catalogue.requireRow(dto.sku, dto.to);
    const from = { sku: dto.sku, warehouse: dto.from };
    const to = { sku: dto.sku, warehouse: dto.to };
    const ref = ulid();
    const ordered = dto.from < dto.to ? [from, to] : [to, from];

    const result = await inTransaction(this.db, async (em) => {
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
      const changes = [
        ...(await this.alerts.afterDecrease(em, [from])),
        ...(await this.alerts.afterIncrease(em, [to])),
      ];
      return {
        from: (await this.stock.findRow(from, em))!,
        to: (await this.stock.findRow(to, em))!,
        changes,
      };
    });
    this.alerts.report(result.changes);
    stockOperationsTotal.inc({ reason: 'TRANSFER' });
    await this.sync.afterCommit([from], { unitsAdded: false });
    await this.sync.afterCommit([to], { unitsAdded: true });
    return { from: toStockDto(result.from), to: toStockDto(result.to) };
  }
}
