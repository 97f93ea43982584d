import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError } from '@app/core';
import { addToSumOrApply, type BranchContext, type TccParticipantHandler } from '@app/tcc';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { validLines } from '../inventory.lines';
import { stockOperationsTotal } from '../inventory.metrics';
import { RestockPayload, sortedLines } from '../inventory.types';
import { StockSync } from '../reconcile/stock-sync';
import { StockRepository, stockRowSum } from '../repositories/stock.repository';

/**
 * The restock of a refund (branch kind `restock`): returned units go back on hand (ledger RESTOCK).
 *  - try: holds nothing; refuses now what its confirm could never do;
 *  - confirm: `on_hand += n` per line, with its ledger row (the row's upsert last);
 *  - cancel: nothing to give back;
 *  - afterConfirm: the Redis gate and the live streams learn of the new units.
 */
@Injectable()
export class RestockBranch implements TccParticipantHandler<RestockPayload> {
  constructor(
    private readonly stock: StockRepository,
    private readonly alerts: LowStockAlerts,
    private readonly sync: StockSync,
  ) {}

  // eslint-disable-next-line @typescript-eslint/require-await -- async by the handler contract: a refusal is a rejected promise
  async try(_em: EntityManager, _ctx: BranchContext, payload: RestockPayload): Promise<void> {
    validLines(payload.lines);
    if (typeof payload.warehouse !== 'string' || typeof payload.ref !== 'string' || !payload.ref) {
      throw DomainError.validation('A restock needs a warehouse and a ref');
    }
  }

  async confirm(em: EntityManager, ctx: BranchContext, payload: RestockPayload): Promise<void> {
    const lines = sortedLines(validLines(payload.lines));
    const rows = lines.map((l) => ({ sku: l.sku, warehouse: payload.warehouse }));
    await this.stock.writeLedger(
      em,
      rows.map((row, i) => ({
        ...row,
        reason: 'RESTOCK',
        ref: payload.ref,
        deltaOnHand: lines[i].qty,
        deltaReserved: 0,
      })),
      ctx.local,
    );
    // Each row's upsert is deferred to the end of the local transaction: its lock is held for it and the COMMIT only.
    for (const [i, row] of rows.entries()) {
      await addToSumOrApply(
        em,
        ctx.local,
        `restock|${stockRowSum(row.warehouse, row.sku)}`,
        lines[i].qty,
        (tx, total) => this.stock.addOnHand(tx, row, total),
      );
    }
    // counted and announced once the restock is committed (a rolled-back or retried one is not)
    await this.alerts.afterStep(em, ctx.local, rows, 'raised', () =>
      stockOperationsTotal.inc({ reason: 'RESTOCK' }, lines.length),
    );
  }

  async cancel(): Promise<void> {
    // the try held nothing
  }

  async afterConfirm(_ctx: BranchContext, payload: RestockPayload): Promise<void> {
    await this.sync.afterCommit(
      payload.lines.map((l) => ({ sku: l.sku, warehouse: payload.warehouse })),
      { unitsAdded: true, cause: 'restock' },
    );
  }
}
