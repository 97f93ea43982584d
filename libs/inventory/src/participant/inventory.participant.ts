import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError } from '@app/core';
import { SKU_PATTERN } from '@app/core';
import { afterLocalCommit, BranchContext, TccParticipant, TccParticipantHandler } from '@app/tcc';
import { InventoryGate } from '../gate/inventory-gate';
import type { FreezePayload, InventoryBranchPayload, RestockPayload } from '../inventory.types';
import { validLines } from '../inventory.lines';
import { StockChangeFeed } from '../alerts/stock-change-feed';
import { StockSync } from '../reconcile/stock-sync';
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
    private readonly feed: StockChangeFeed,
  ) {}

  async try(em: EntityManager, ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload?.kind === 'freeze') {
      await this.freezeStock.execute(em, ctx, payload);
      return afterLocalCommit(em, ctx.local, () => this.notify(payload, 'reserve'));
    }
    // A restock holds nothing until it is confirmed; refuse now what its confirm could never do.
    if (payload?.kind === 'restock') return validRestock(payload);
    throw DomainError.validation('An inventory branch is a freeze or a restock', { kind: (payload as { kind?: unknown } | null)?.kind });
  }

  async confirm(em: EntityManager, ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload.kind === 'freeze') await this.commitFreeze.execute(em, ctx, payload);
    else await this.restockUnits.execute(em, payload, ctx.local);
  }

  async cancel(em: EntityManager, ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload?.kind === 'freeze') await this.releaseFreeze.execute(em, ctx);
  }

  /**
   * Always, also after an empty rollback: the gate may have reserved in Redis before the MySQL
   * try failed or ran at all, and the MySQL fence cannot know (the Redis freeze record can).
   */
  async afterCancel(ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    // A refused malformed payload must not keep its cancel failing forever: release what it names.
    if (payload?.kind !== 'freeze' || typeof payload.warehouse !== 'string') return;
    this.notify(payload, 'release');
    await this.gate.releaseFreeze(ctx.branchId, payload.warehouse, skusOf(payload));
  }

  async afterConfirm(ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload.kind === 'freeze') {
      this.notify(payload, 'commit');
      await this.gate.markCommitted(ctx.branchId, payload.warehouse, skusOf(payload));
    } else {
      await this.sync.afterCommit(
        payload.lines.map((l) => ({ sku: l.sku, warehouse: payload.warehouse })),
        { unitsAdded: true, cause: 'restock' },
      );
    }
  }

  /** After commit: followers of these rows (live streams) re-read them. Safe on a malformed payload. */
  private notify(payload: FreezePayload, cause: 'reserve' | 'commit' | 'release'): void {
    const lines = Array.isArray(payload.lines) ? payload.lines : [];
    const qty = new Map(lines.filter((l) => typeof l?.qty === 'number').map((l) => [l.sku, l.qty]));
    this.feed.changed(
      skusOf(payload).map((sku) => ({ sku, warehouse: payload.warehouse })),
      cause,
      (key) => qty.get(key.sku),
    );
  }
}

/** The skus a freeze payload names, skipping malformed lines (the try refused such a payload). */
function skusOf(payload: FreezePayload): string[] {
  if (!Array.isArray(payload.lines)) return [];
  return payload.lines.map((l) => l?.sku).filter((sku): sku is string => typeof sku === 'string' && SKU_PATTERN.test(sku));
}

function validRestock(payload: RestockPayload): void {
  validLines(payload.lines);
  if (typeof payload.warehouse !== 'string' || typeof payload.ref !== 'string' || !payload.ref) {
    throw DomainError.validation('A restock needs a warehouse and a ref');
  }
}
