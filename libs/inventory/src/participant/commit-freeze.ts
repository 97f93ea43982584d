import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { addToSumOrApply, afterLocalCommit, type BranchContext } from '@app/tcc';
import { stockOperationsTotal } from '../inventory.metrics';
import { StockRepository, stockRowSum } from '../repositories/stock.repository';
import { validLines } from '../inventory.lines';
import { FreezePayload, sortedLines } from '../inventory.types';
import { FreezeRepository, lineFreezeId } from './freeze.repository';

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

  async execute(em: EntityManager, ctx: BranchContext, payload: FreezePayload): Promise<void> {
    // The state move is the guard: a repeated confirm finds nothing FROZEN and does nothing. The
    // branch's freezes are its payload's lines (the try wrote one per line), so no read is needed.
    const lines = sortedLines(validLines(payload.lines));
    const moved = await this.freezes.moveBranchStates(em, ctx.branchId, 'CONFIRMED');
    if (moved === 0) return;
    if (moved !== lines.length) throw new Error(`Branch ${ctx.branchId} froze ${moved} lines, its payload names ${lines.length}`);
    const { warehouse } = payload;
    await this.stock.writeLedger(
      em,
      lines.map((l) => ({ sku: l.sku, warehouse, reason: 'COMMIT' as const, ref: lineFreezeId(ctx.branchId, l.sku), deltaOnHand: -l.qty, deltaReserved: -l.qty })),
      ctx.local,
    );
    for (const l of lines) {
      const key = { sku: l.sku, warehouse };
      await addToSumOrApply(em, ctx.local, stockRowSum(warehouse, l.sku), l.qty, async (tx, total) => {
        if (!(await this.stock.commitReserved(tx, key, total))) {
          throw new Error(`Stock row ${l.sku}/${warehouse} holds less than its freezes being committed (${total})`);
        }
      });
    }
    await afterLocalCommit(em, ctx.local, () => stockOperationsTotal.inc({ reason: 'COMMIT' }, lines.length));
  }
}
