import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError } from '@app/core';
import { CatalogueCache, type ProductInfo } from '@app/product';
import { addToSumOrApply, afterLocalCommit, countRefusal, type BranchContext, type LocalUnit } from '@app/tcc';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { SoldOutFlags } from '../gate/sold-out-flags';
import { insufficientStock, purchaseLimitExceeded } from '../inventory.errors';
import { validLines } from '../inventory.lines';
import { reservationsTotal } from '../inventory.metrics';
import { FreezePayload, sortedLines, StockLine } from '../inventory.types';
import { StockRepository, stockRowSum } from '../repositories/stock.repository';
import { StockChangeFeed } from '../alerts/stock-change-feed';
import { FreezeRepository, lineFreezeId } from './freeze.repository';

/**
 * TCC try of a checkout: freezes every line or none (the local transaction rolls back on
 * the first refusal). The per-user limit is charged first, then the freeze and ledger rows
 * are written; per stock row ONE conditional UPDATE decides, deferred to the very end of the
 * local transaction (`stockRowSum`), where concurrent checkouts of the row share it.
 */
@Injectable()
export class FreezeStock {
  constructor(
    private readonly stock: StockRepository,
    private readonly freezes: FreezeRepository,
    private readonly catalogue: CatalogueCache,
    private readonly alerts: LowStockAlerts,
    private readonly flags: SoldOutFlags,
    private readonly feed: StockChangeFeed,
  ) {}

  async execute(em: EntityManager, ctx: BranchContext, payload: FreezePayload): Promise<void> {
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
    await afterLocalCommit(
      em,
      ctx.local,
      async () => {
        reservationsTotal.inc({ outcome: 'reserved', level: 'mysql' });
        await this.alerts.recheckAfterCommit(rows);
      },
      async (tx) => {
        reservationsTotal.inc({ outcome: 'reserved', level: 'mysql' });
        this.alerts.report(await this.alerts.afterDecrease(tx, rows));
      },
    );
  }

  private async productsOf(lines: StockLine[], warehouse: string, local?: LocalUnit): Promise<Map<string, ProductInfo>> {
    try {
      await this.catalogue.requireWarehouse(warehouse);
      return await this.catalogue.productsForTry(lines.map((l) => l.sku));
    } catch (err) {
      countRefusal(local, () => reservationsTotal.inc({ outcome: 'not_found', level: 'mysql' }));
      throw err;
    }
  }

  /** The decision: `reserved += n` only where `on_hand - reserved >= n` (StockRepository.reserve). */
  private async reserve(em: EntityManager, key: { sku: string; warehouse: string }, n: number, local?: LocalUnit): Promise<void> {
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
}
