import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { addToSumOrApply, afterLocalCommit, type BranchContext } from '@app/tcc';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { stockOperationsTotal } from '../inventory.metrics';
import { StockRepository, stockRowSum } from '../repositories/stock.repository';
import { FreezeRepository } from './freeze.repository';

/**
 * TCC cancel of a checkout: the frozen units become available again and the user's
 * purchase-limit charge is given back. (The Redis side is released by the participant's
 * afterCancel, which runs even when nothing was frozen here.) Lock order as in the try:
 * purchase counters, then the stock rows, whose UPDATE is the local transaction's last.
 */
@Injectable()
export class ReleaseFreeze {
  constructor(
    private readonly stock: StockRepository,
    private readonly freezes: FreezeRepository,
    private readonly alerts: LowStockAlerts,
  ) {}

  async execute(em: EntityManager, ctx: BranchContext): Promise<void> {
    const released = await this.freezes.moveBranchFromFrozen(em, ctx.branchId, 'RELEASED');
    if (released.length === 0) return;
    for (const f of released) {
      if (f.limitCharged && f.userId) await this.freezes.refundPurchaseLimit(em, f.userId, f.sku, f.qty);
    }
    await this.stock.writeLedger(
      em,
      released.map((f) => ({ sku: f.sku, warehouse: f.warehouse, reason: 'RELEASE' as const, ref: f.freezeId, deltaOnHand: 0, deltaReserved: -f.qty })),
      ctx.local,
    );
    for (const f of released) {
      const key = { sku: f.sku, warehouse: f.warehouse };
      await addToSumOrApply(em, ctx.local, stockRowSum(f.warehouse, f.sku), f.qty, async (tx, total) => {
        if (!(await this.stock.releaseReserved(tx, key, total))) {
          throw new Error(`Stock row ${f.sku}/${f.warehouse} holds less than its freezes being released (${total})`);
        }
      });
    }
    const rows = released.map((f) => ({ sku: f.sku, warehouse: f.warehouse }));
    await afterLocalCommit(
      em,
      ctx.local,
      async () => {
        stockOperationsTotal.inc({ reason: 'RELEASE' }, released.length);
        await this.alerts.recheckAfterCommit(rows);
      },
      async (tx) => {
        stockOperationsTotal.inc({ reason: 'RELEASE' }, released.length);
        this.alerts.report(await this.alerts.afterIncrease(tx, rows));
      },
    );
  }
}
