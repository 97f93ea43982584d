import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { BranchContext } from '@app/tcc';
import { stockOperationsTotal } from '../inventory.metrics';
import { StockRepository } from '../stock/stock.repository';
import { FreezeRepository } from './freeze.repository';

/** TCC confirm of a checkout: the frozen units leave the warehouse (on_hand -= n, reserved -= n). */
@Injectable()
export class CommitFreeze {
  constructor(
    private readonly stock: StockRepository,
    private readonly freezes: FreezeRepository,
  ) {}

  async execute(em: EntityManager, ctx: BranchContext): Promise<void> {
    for (const freeze of await this.freezes.findFrozenOfBranch(em, ctx.branchId)) {
      // The state move is the guard: a repeated confirm finds nothing FROZEN and does nothing.
      if (!(await this.freezes.moveFromFrozen(em, freeze.freezeId, 'CONFIRMED'))) continue;
      const key = { sku: freeze.sku, warehouse: freeze.warehouse };
      if (!(await this.stock.commitReserved(em, key, freeze.qty))) {
        throw new Error(`Stock row ${freeze.sku}/${freeze.warehouse} holds less than freeze ${freeze.freezeId}`);
      }
      await this.stock.writeLedger(em, [
        { ...key, reason: 'COMMIT', ref: freeze.freezeId, deltaOnHand: -freeze.qty, deltaReserved: -freeze.qty },
      ]);
      stockOperationsTotal.inc({ reason: 'COMMIT' });
    }
  }
}
