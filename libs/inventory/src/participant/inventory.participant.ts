import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BranchContext, TccParticipant, TccParticipantHandler } from '@app/tcc';
import { InventoryGate } from '../gate/inventory-gate';
import type { InventoryBranchPayload } from '../inventory.types';
import { StockSync } from '../stock/stock-sync';
import { CommitFreeze } from './commit-freeze';
import { FreezeStock } from './freeze-stock';
import { ReleaseFreeze } from './release-freeze';
import { RestockUnits } from './restock-units';

/**
 * TCC participant `inventory`. Where stock is frozen: FreezeStock (try); committed:
 * CommitFreeze (confirm); released: ReleaseFreeze (cancel); restocked by a refund:
 * RestockUnits (confirm of a 'restock' branch). The Redis gate is kept in step after commits.
 */
@Injectable()
@TccParticipant('inventory')
export class InventoryParticipant implements TccParticipantHandler<InventoryBranchPayload> {
  constructor(
    private readonly freezeStock: FreezeStock,
    private readonly commitFreeze: CommitFreeze,
    private readonly releaseFreeze: ReleaseFreeze,
    private readonly restockUnits: RestockUnits,
    private readonly gate: InventoryGate,
    private readonly sync: StockSync,
  ) {}

  async try(em: EntityManager, ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    // A restock holds nothing until it is confirmed.
    if (payload.kind === 'freeze') await this.freezeStock.execute(em, ctx, payload);
  }

  async confirm(em: EntityManager, ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload.kind === 'freeze') await this.commitFreeze.execute(em, ctx);
    else await this.restockUnits.execute(em, payload);
  }

  async cancel(em: EntityManager, ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload.kind === 'freeze') await this.releaseFreeze.execute(em, ctx);
  }

  /**
   * Always, also after an empty rollback: the gate may have reserved in Redis before the MySQL
   * try failed or ran at all, and the MySQL fence cannot know (the Redis freeze record can).
   */
  async afterCancel(ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload.kind !== 'freeze') return;
    await this.gate.releaseFreeze(
      ctx.branchId,
      payload.warehouse,
      payload.lines.map((l) => l.sku),
    );
  }

  async afterConfirm(ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload.kind === 'freeze') {
      await this.gate.markCommitted(
        ctx.branchId,
        payload.warehouse,
        payload.lines.map((l) => l.sku),
      );
    } else {
      await this.sync.afterCommit(
        payload.lines.map((l) => ({ sku: l.sku, warehouse: payload.warehouse })),
        { unitsAdded: true },
      );
    }
  }
}
