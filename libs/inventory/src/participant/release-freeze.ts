import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { BranchContext } from '@app/tcc';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { stockOperationsTotal } from '../inventory.metrics';
import { StockRepository } from '../stock/stock.repository';
import { FreezeRepository } from './freeze.repository';

/**
 * TCC cancel of a checkout: the frozen units become available again and the user's
 * purchase-limit charge is given back. (The Redis side is released by the participant's
 * afterCancel, which runs even when nothing was frozen here.)
 */
@Injectable()
export class ReleaseFreeze {
  constructor(
    private readonly stock: StockRepository,
    private readonly freezes: FreezeRepository,
    private readonly alerts: LowStockAlerts,
  ) {}

  async execute(em: EntityManager, ctx: BranchContext): Promise<void> {
    const released = [];
    // Stock rows first (sku order), purchase counters after: the lock order of the try.
    for (const freeze of await this.freezes.findFrozenOfBranch(em, ctx.branchId)) {
      if (!(await this.freezes.moveFromFrozen(em, freeze.freezeId, 'RELEASED'))) continue;
      const key = { sku: freeze.sku, warehouse: freeze.warehouse };
      if (!(await this.stock.releaseReserved(em, key, freeze.qty))) {
        throw new Error(`Stock row ${freeze.sku}/${freeze.warehouse} holds less than freeze ${freeze.freezeId}`);
      }
      await this.stock.writeLedger(em, [
        { ...key, reason: 'RELEASE', ref: freeze.freezeId, deltaOnHand: 0, deltaReserved: -freeze.qty },
      ]);
      stockOperationsTotal.inc({ reason: 'RELEASE' });
      released.push(freeze);
    }
    for (const freeze of released) {
      if (freeze.limitCharged && freeze.userId) {
        await this.freezes.refundPurchaseLimit(em, freeze.userId, freeze.sku, freeze.qty);
      }
    }
    this.alerts.report(await this.alerts.afterIncrease(em, released.map((f) => ({ sku: f.sku, warehouse: f.warehouse }))));
  }
}
