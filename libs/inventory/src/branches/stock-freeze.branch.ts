import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError, SKU_PATTERN } from '@app/core';
import { CatalogueCache, type ProductInfo } from '@app/product';
import {
  addToSumOrApply,
  afterLocalCommit,
  countRefusal,
  type BranchContext,
  type LocalUnit,
  type TccParticipantHandler,
} from '@app/tcc';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { StockChangeFeed } from '../alerts/stock-change-feed';
import { InventoryGate } from '../gate/inventory-gate';
import { SoldOutFlags } from '../gate/sold-out-flags';
import { insufficientStock, purchaseLimitExceeded } from '../inventory.errors';
import { validLines } from '../inventory.lines';
import { reservationsTotal, stockOperationsTotal } from '../inventory.metrics';
import { FreezePayload, sortedLines, StockLine } from '../inventory.types';
import { FreezeRepository, lineFreezeId } from '../repositories/freeze.repository';
import { StockRepository, stockRowSum } from '../repositories/stock.repository';

/**
 * The stock freeze of a checkout (branch kind `freeze`). What the try takes, the cancel gives back:
 *  - try: the user's purchase-limit charge, one FROZEN freeze and a RESERVE ledger row per line,
 *    then per stock row `reserved += n` where `on_hand - reserved >= n`;
 *  - confirm: the freezes → CONFIRMED, a COMMIT ledger row, `on_hand -= n, reserved -= n`;
 *  - cancel: the freezes → RELEASED, the limit charge refunded, a RELEASE ledger row, `reserved -= n`;
 *  - afterCancel: the gate's Redis hold (taken by checkout before the try) is given back, on every
 *    cancel, also an empty rollback; afterConfirm: the Redis hold is marked committed.
 * Each stock row's UPDATE is deferred to the end of the local transaction (`stockRowSum`), where
 * concurrent checkouts of the row share it. Lock order everywhere: purchase counters, then stock rows.
 */
@Injectable()
export class StockFreezeBranch implements TccParticipantHandler<FreezePayload> {
  constructor(
    private readonly stock: StockRepository,
    private readonly freezes: FreezeRepository,
    private readonly catalogue: CatalogueCache,
    private readonly alerts: LowStockAlerts,
    private readonly flags: SoldOutFlags,
    private readonly feed: StockChangeFeed,
    private readonly gate: InventoryGate,
  ) {}

  /** Freezes every line or none (the local transaction rolls back on the first refusal). */
  async try(em: EntityManager, ctx: BranchContext, payload: FreezePayload): Promise<void> {
    const { warehouse, userId } = payload;
    if (typeof userId !== 'string' || userId.length < 1 || userId.length > 64) {
      throw DomainError.validation('A freeze needs the userId (1-64 characters)');
    }
    const lines = sortedLines(validLines(payload.lines));
    const products = await this.productsOf(lines, warehouse, ctx.local);

    const charged = await this.chargePurchaseLimits(em, userId, lines, products, ctx.local);
    await this.recordFreezes(em, ctx, payload, lines, charged);
    for (const line of lines) {
      await addToSumOrApply(em, ctx.local, stockRowSum(warehouse, line.sku), line.qty, (tx, total) =>
        this.reserve(tx, { sku: line.sku, warehouse }, total, ctx.local),
      );
    }
    const rows = lines.map((l) => ({ sku: l.sku, warehouse }));
    await this.alerts.afterStep(em, ctx.local, rows, 'lowered', () =>
      reservationsTotal.inc({ outcome: 'reserved', level: 'mysql' }),
    );
    return afterLocalCommit(em, ctx.local, () => this.notify(payload, 'reserve'));
  }

  /** The frozen units leave the warehouse. A repeated confirm finds nothing FROZEN and does nothing. */
  async confirm(em: EntityManager, ctx: BranchContext, payload: FreezePayload): Promise<void> {
    // The branch's freezes are its payload's lines (the try wrote one per line), so no read is needed.
    const lines = sortedLines(validLines(payload.lines));
    if (ctx.firstRun && ctx.local) {
      this.freezes.queueConfirmBranch(ctx.local, ctx.branchId, lines.length, ctx.firstRun.mismatch);
    } else {
      const moved = await this.freezes.moveBranchStates(em, ctx.branchId, 'CONFIRMED');
      if (moved === 0) return;
      if (moved !== lines.length)
        throw new Error(`Branch ${ctx.branchId} froze ${moved} lines, its payload names ${lines.length}`);
    }
    const { warehouse } = payload;
    await this.stock.writeLedger(
      em,
      lines.map((l) => ({
        sku: l.sku,
        warehouse,
        reason: 'COMMIT' as const,
        ref: lineFreezeId(ctx.branchId, l.sku),
        deltaOnHand: -l.qty,
        deltaReserved: -l.qty,
      })),
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

  /** The frozen units become available again and the limit charge is given back (MySQL only). */
  async cancel(em: EntityManager, ctx: BranchContext): Promise<void> {
    const released = await this.freezes.moveBranchFromFrozen(em, ctx.branchId, 'RELEASED');
    if (released.length === 0) return;
    for (const f of released) {
      if (f.limitCharged && f.userId) await this.freezes.refundPurchaseLimit(em, f.userId, f.sku, f.qty);
    }
    await this.stock.writeLedger(
      em,
      released.map((f) => ({
        sku: f.sku,
        warehouse: f.warehouse,
        reason: 'RELEASE' as const,
        ref: f.freezeId,
        deltaOnHand: 0,
        deltaReserved: -f.qty,
      })),
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
    await this.alerts.afterStep(em, ctx.local, rows, 'raised', () =>
      stockOperationsTotal.inc({ reason: 'RELEASE' }, released.length),
    );
  }

  /**
   * Always, also after an empty rollback: the gate may have reserved in Redis before the MySQL
   * try failed or ran at all, and the MySQL fence cannot know (the Redis freeze record can).
   */
  async afterCancel(ctx: BranchContext, payload: FreezePayload): Promise<void> {
    // A refused malformed payload must not keep its cancel failing forever: release what it names.
    if (typeof payload.warehouse !== 'string') return;
    this.notify(payload, 'release');
    await this.gate.releaseFreeze(ctx.branchId, payload.warehouse, skusOf(payload));
  }

  async afterConfirm(ctx: BranchContext, payload: FreezePayload): Promise<void> {
    this.notify(payload, 'commit');
    await this.gate.markCommitted(ctx.branchId, payload.warehouse, skusOf(payload));
  }

  private async productsOf(
    lines: StockLine[],
    warehouse: string,
    local?: LocalUnit,
  ): Promise<Map<string, ProductInfo>> {
    try {
      await this.catalogue.requireWarehouse(warehouse);
      return await this.catalogue.productsForTry(lines.map((l) => l.sku));
    } catch (err) {
      countRefusal(local, () => reservationsTotal.inc({ outcome: 'not_found', level: 'mysql' }));
      throw err;
    }
  }

  /** The decision: `reserved += n` only where `on_hand - reserved >= n` (StockRepository.reserve). */
  private async reserve(
    em: EntityManager,
    key: { sku: string; warehouse: string },
    n: number,
    local?: LocalUnit,
  ): Promise<void> {
    if (!(await this.stock.reserve(em, key, n))) {
      // counted once the refusal is final (a group's refused sum is tried again member by member)
      countRefusal(local, () => {
        reservationsTotal.inc({ outcome: 'refused', level: 'mysql' });
        this.feed.refused(key, n);
      });
      await this.flagIfSoldOut(em, key);
      throw insufficientStock(key.sku, key.warehouse, n);
    }
  }

  /**
   * A refusal MySQL decided (Redis down, or the gate passed) sets the in-process flag as a Redis
   * refusal does, so the next refusals of the row cost no round trip. Only when nothing is left:
   * the row's one UPDATE per local transaction is this refused one, so the row read here is
   * the committed row, untouched by other members of a group-committed batch.
   */
  private async flagIfSoldOut(em: EntityManager, key: { sku: string; warehouse: string }): Promise<void> {
    const row = await this.stock.findRow(key, em);
    if (!row || row.onHand - row.reserved <= 0) this.flags.markSoldOut(key);
  }

  /** Returns the skus whose limit was charged (a cancel gives exactly those back). */
  private async chargePurchaseLimits(
    em: EntityManager,
    userId: string,
    lines: StockLine[],
    products: Map<string, ProductInfo>,
    local?: LocalUnit,
  ): Promise<Set<string>> {
    const charged = new Set<string>();
    for (const line of lines) {
      const limit = products.get(line.sku)!.maxPerUser;
      if (limit === null) continue;
      if (!(await this.freezes.chargePurchaseLimit(em, userId, line.sku, line.qty, limit))) {
        countRefusal(local, () => reservationsTotal.inc({ outcome: 'limit_exceeded', level: 'mysql' }));
        throw purchaseLimitExceeded(line.sku, limit, line.qty);
      }
      charged.add(line.sku);
    }
    return charged;
  }

  private async recordFreezes(
    em: EntityManager,
    ctx: BranchContext,
    payload: FreezePayload,
    lines: StockLine[],
    charged: Set<string>,
  ): Promise<void> {
    const { warehouse, userId } = payload;
    await this.freezes.insertFrozen(
      em,
      lines.map((l) => ({
        freezeId: lineFreezeId(ctx.branchId, l.sku),
        txId: ctx.txId,
        branchId: ctx.branchId,
        sku: l.sku,
        warehouse,
        qty: l.qty,
        userId,
        limitCharged: charged.has(l.sku),
      })),
      ctx.local,
    );
    await this.stock.writeLedger(
      em,
      lines.map((l) => ({
        sku: l.sku,
        warehouse,
        reason: 'RESERVE' as const,
        ref: lineFreezeId(ctx.branchId, l.sku),
        deltaOnHand: 0,
        deltaReserved: l.qty,
      })),
      ctx.local,
    );
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
  return payload.lines
    .map((l) => l?.sku)
    .filter((sku): sku is string => typeof sku === 'string' && SKU_PATTERN.test(sku));
}
