import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { afterLocalCommit, type LocalUnit } from '@app/tcc';
import { lowStockAlertsTotal } from '../inventory.metrics';
import type { RowKey } from '../inventory.types';
import { AlertChange, AlertRepository } from '../repositories/alert.repository';
import { StockChangeFeed } from './stock-change-feed';

/**
 * Low-stock alerts: crossing below the threshold opens one, rising back to or above it
 * resolves it. Every change writes its stock row last (docs/performance.md#hot-row-discipline), so
 * the alert is re-evaluated right after the commit, as the row then stands, and reported.
 */
@Injectable()
export class LowStockAlerts {
  private readonly logger = new Logger(LowStockAlerts.name);

  /** Per row: the check running now, and the one queued behind it (shared by every caller meanwhile). */
  private readonly rechecks = new Map<string, { running: Promise<void>; queued: Promise<void> | null }>();

  constructor(
    private readonly alerts: AlertRepository,
    private readonly feed: StockChangeFeed,
  ) {}

  /**
   * After a committed checkout or release (whose transactions end with the stock UPDATE, so
   * they cannot look at the row afterwards): re-evaluates the rows' alerts. Concurrent callers
   * of one row share checks, so a flash sale costs about one statement per row per round trip,
   * not one per order; each caller's promise resolves after a check that began after its call.
   */
  async recheckAfterCommit(keys: RowKey[]): Promise<void> {
    await Promise.all(keys.map((key) => this.recheckRow(key)));
  }

  private recheckRow(key: RowKey): Promise<void> {
    const id = `${key.warehouse.toLowerCase()}|${key.sku.toLowerCase()}`;
    const state = this.rechecks.get(id);
    if (!state) {
      const running = this.runRecheck(key).finally(() => this.afterRecheck(id));
      this.rechecks.set(id, { running, queued: null });
      return running;
    }
    state.queued ??= state.running.then(() => this.runRecheck(key)).finally(() => this.afterRecheck(id));
    return state.queued;
  }

  private afterRecheck(id: string): void {
    const state = this.rechecks.get(id);
    if (!state) return;
    if (state.queued) this.rechecks.set(id, { running: state.queued, queued: null });
    else this.rechecks.delete(id);
  }

  private async runRecheck(key: RowKey): Promise<void> {
    try {
      this.report(await this.alerts.recheck(key));
    } catch (err) {
      this.logger.warn({ err, ...key }, 'Low-stock alert check failed; the next change of the row checks again');
    }
  }

  /**
   * For a TCC step whose stock UPDATE is deferred to the end of its local transaction (so it
   * cannot look at the row afterwards): `count` and the rows' alert check once it committed. A
   * step run without a unit (a test's own `em`) has its UPDATE done already: checked now, on `em`.
   */
  async afterStep(
    em: EntityManager,
    local: LocalUnit | undefined,
    rows: RowKey[],
    availability: 'lowered' | 'raised',
    count: () => void,
  ): Promise<void> {
    await afterLocalCommit(
      em,
      local,
      async () => {
        count();
        await this.recheckAfterCommit(rows);
      },
      async (tx) => {
        count();
        this.report(await (availability === 'lowered' ? this.afterDecrease(tx, rows) : this.afterIncrease(tx, rows)));
      },
    );
  }

  /** After a change that lowered availability. */
  async afterDecrease(em: EntityManager, keys: RowKey[]): Promise<AlertChange[]> {
    const changes: AlertChange[] = [];
    for (const key of keys) if (await this.alerts.openIfBelow(em, key)) changes.push({ ...key, change: 'OPENED' });
    return changes;
  }

  /** After a change that raised availability (or the threshold moved). */
  async afterIncrease(em: EntityManager, keys: RowKey[]): Promise<AlertChange[]> {
    const changes: AlertChange[] = [];
    for (const key of keys)
      if (await this.alerts.resolveIfRecovered(em, key)) changes.push({ ...key, change: 'RESOLVED' });
    return changes;
  }

  /** Call once the transaction committed: one log line and one count per change. */
  report(changes: AlertChange[]): void {
    for (const c of changes) {
      lowStockAlertsTotal.inc({ change: c.change });
      this.feed.alert({ sku: c.sku, warehouse: c.warehouse, change: c.change });
      if (c.change === 'OPENED') this.logger.warn({ sku: c.sku, warehouse: c.warehouse }, 'Low stock: alert opened');
      else this.logger.log({ sku: c.sku, warehouse: c.warehouse }, 'Stock back at threshold: alert resolved');
    }
  }
}
