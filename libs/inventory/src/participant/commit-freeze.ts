import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { addToSumOrApply, afterLocalCommit, type BranchContext } from '@app/tcc';
import { stockOperationsTotal } from '../inventory.metrics';
import { StockRepository, stockRowSum } from '../stock/stock.repository';
import { FreezeRepository } from './freeze.repository';

/**
 * TCC confirm of a checkout: the frozen units leave the warehouse (on_hand -= n, reserved -= n).
 * The freezes move and the ledger is written first; the stock rows' UPDATE is deferred to the
 * end of the local transaction, where the confirms of concurrent payments share it.
 */
@Injectable()
export class CommitFreeze {
  constructor(
    private readonly stock: StockRepository,
    private readonly freezes: FreezeRepository,
  ) {}

  async execute(em: EntityManager, ctx: BranchContext): Promise<void> {
    // The state move is the guard: a repeated confirm finds nothing FROZEN and does nothing.
    const moved = await this.freezes.moveBranchFromFrozen(em, ctx.branchId, 'CONFIRMED');
    if (moved.length === 0) return;
    await this.stock.writeLedger(
      em,
      moved.map((f) => ({ sku: f.sku, warehouse: f.warehouse, reason: 'COMMIT' as const, ref: f.freezeId, deltaOnHand: -f.qty, deltaReserved: -f.qty })),
      ctx.local,
    );
    for (const f of moved) {
      const key = { sku: f.sku, warehouse: f.warehouse };
      await addToSumOrApply(em, ctx.local, stockRowSum(f.warehouse, f.sku), f.qty, async (tx, total) => {
        if (!(await this.stock.commitReserved(tx, key, total))) {
          throw new Error(`Stock row ${f.sku}/${f.warehouse} holds less than its freezes being committed (${total})`);
        }
      });
    }
    await afterLocalCommit(em, ctx.local, () => stockOperationsTotal.inc({ reason: 'COMMIT' }, moved.length));
  }
}
