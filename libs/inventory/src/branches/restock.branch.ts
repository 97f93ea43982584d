import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError } from '@app/core';
import { afterLocalCommit, type BranchContext, type TccParticipantHandler } from '@app/tcc';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { validLines } from '../inventory.lines';
import { stockOperationsTotal } from '../inventory.metrics';
import { RestockPayload, sortedLines } from '../inventory.types';
import { StockSync } from '../reconcile/stock-sync';
import { StockRepository } from '../repositories/stock.repository';

/**
 * The restock of a refund (branch kind `restock`): returned units go back on hand (ledger RESTOCK).
 *  - try: holds nothing; refuses now what its confirm could never do;
 *  - confirm: `on_hand += n` per line, with its ledger row;
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
    for (const line of lines) {
      const key = { sku: line.sku, warehouse: payload.warehouse };
      await this.stock.addOnHand(em, key, line.qty);
      await this.stock.writeLedger(em, [
        { ...key, reason: 'RESTOCK', ref: payload.ref, deltaOnHand: line.qty, deltaReserved: 0 },
      ]);
    }
    const changes = await this.alerts.afterIncrease(
      em,
      lines.map((l) => ({ sku: l.sku, warehouse: payload.warehouse })),
    );
    // counted and announced once the restock is committed (a rolled-back or retried one is not)
    await afterLocalCommit(em, ctx.local, () => {
      stockOperationsTotal.inc({ reason: 'RESTOCK' }, lines.length);
      this.alerts.report(changes);
    });
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
