import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { afterLocalCommit, type LocalUnit } from '@app/tcc';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { RestockPayload, sortedLines } from '../inventory.types';
import { stockOperationsTotal } from '../inventory.metrics';
import { StockRepository } from '../repositories/stock.repository';
import { validLines } from '../inventory.lines';

/** TCC confirm of a refund: returned units go back on hand (ledger RESTOCK). */
@Injectable()
export class RestockUnits {
  constructor(
    private readonly stock: StockRepository,
    private readonly alerts: LowStockAlerts,
  ) {}

  async execute(em: EntityManager, payload: RestockPayload, local?: LocalUnit): Promise<void> {
    const lines = sortedLines(validLines(payload.lines));
    for (const line of lines) {
      const key = { sku: line.sku, warehouse: payload.warehouse };
      await this.stock.addOnHand(em, key, line.qty);
      await this.stock.writeLedger(em, [
        { ...key, reason: 'RESTOCK', ref: payload.ref, deltaOnHand: line.qty, deltaReserved: 0 },
      ]);
    }
    const changes = await this.alerts.afterIncrease(em, lines.map((l) => ({ sku: l.sku, warehouse: payload.warehouse })));
    // counted and announced once the restock is committed (a rolled-back or retried one is not)
    await afterLocalCommit(em, local, () => {
      stockOperationsTotal.inc({ reason: 'RESTOCK' }, lines.length);
      this.alerts.report(changes);
    });
  }
}
