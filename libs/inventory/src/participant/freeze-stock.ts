import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError } from '@app/core';
import type { ProductInfo } from '@app/product';
import type { BranchContext } from '@app/tcc';
import { LowStockAlerts } from '../alerts/low-stock-alerts';
import { CatalogueLookup } from '../catalogue/catalogue-lookup';
import { insufficientStock, purchaseLimitExceeded } from '../inventory.errors';
import { validLines } from '../inventory.lines';
import { reservationsTotal } from '../inventory.metrics';
import { FreezePayload, sortedLines, StockLine } from '../inventory.types';
import { StockRepository } from '../stock/stock.repository';
import { FreezeRepository, lineFreezeId } from './freeze.repository';

/**
 * TCC try of a checkout: freezes every line or none (the local transaction rolls back on
 * the first refusal). Per line ONE conditional UPDATE decides, in sku order so concurrent
 * multi-line orders lock rows in the same order; the per-user limit is charged in the same
 * transaction, after the stock rows are locked.
 */
@Injectable()
export class FreezeStock {
  constructor(
    private readonly stock: StockRepository,
    private readonly freezes: FreezeRepository,
    private readonly catalogue: CatalogueLookup,
    private readonly alerts: LowStockAlerts,
  ) {}

  async execute(em: EntityManager, ctx: BranchContext, payload: FreezePayload): Promise<void> {
    const { warehouse, userId } = payload;
    if (typeof userId !== 'string' || userId.length < 1 || userId.length > 64) {
      throw DomainError.validation('A freeze needs the userId (1-64 characters)');
    }
    const lines = sortedLines(validLines(payload.lines));
    const products = await this.productsOf(lines, warehouse);

    await this.reserveLines(em, warehouse, lines);
    const charged = await this.chargePurchaseLimits(em, userId, lines, products);
    await this.recordFreezes(em, ctx, payload, lines, charged);

    // The try has no after-commit hook: an alert opened here is reported now (a later
    // rollback of this transaction also removes the alert row).
    this.alerts.report(await this.alerts.afterDecrease(em, lines.map((l) => ({ sku: l.sku, warehouse }))));
    reservationsTotal.inc({ outcome: 'reserved', level: 'mysql' });
  }

  private async productsOf(lines: StockLine[], warehouse: string): Promise<Map<string, ProductInfo>> {
    try {
      return await this.catalogue.forTry(
        lines.map((l) => l.sku),
        warehouse,
      );
    } catch (err) {
      reservationsTotal.inc({ outcome: 'not_found', level: 'mysql' });
      throw err;
    }
  }

  /** The decision: `reserved += n` only where `on_hand - reserved >= n` (StockRepository.reserve). */
  private async reserveLines(em: EntityManager, warehouse: string, lines: StockLine[]): Promise<void> {
    for (const line of lines) {
      if (!(await this.stock.reserve(em, { sku: line.sku, warehouse }, line.qty))) {
        reservationsTotal.inc({ outcome: 'refused', level: 'mysql' });
        throw insufficientStock(line.sku, warehouse, line.qty);
      }
    }
  }

  /** Returns the skus whose limit was charged (a cancel gives exactly those back). */
  private async chargePurchaseLimits(
    em: EntityManager,
    userId: string,
    lines: StockLine[],
    products: Map<string, ProductInfo>,
  ): Promise<Set<string>> {
    const charged = new Set<string>();
    for (const line of lines) {
      const limit = products.get(line.sku)!.maxPerUser;
      if (limit === null) continue;
      if (!(await this.freezes.chargePurchaseLimit(em, userId, line.sku, line.qty, limit))) {
        reservationsTotal.inc({ outcome: 'limit_exceeded', level: 'mysql' });
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
    );
  }
}
