import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { RowKey } from '../inventory.types';
import { lowStockAlertsTotal } from '../inventory.metrics';
import { AlertChange, AlertRepository } from './alert.repository';

/**
 * Low-stock alerts: crossing below the threshold opens one, rising back to or above it
 * resolves it. Evaluated inside the transaction that changed the row; reported after commit.
 */
@Injectable()
export class LowStockAlerts {
  private readonly logger = new Logger('LowStockAlerts');

  constructor(private readonly alerts: AlertRepository) {}

  /** After a change that lowered availability. */
  async afterDecrease(em: EntityManager, keys: RowKey[]): Promise<AlertChange[]> {
    const changes: AlertChange[] = [];
    for (const key of keys) if (await this.alerts.openIfBelow(em, key)) changes.push({ ...key, change: 'OPENED' });
    return changes;
  }

  /** After a change that raised availability (or the threshold moved). */
  async afterIncrease(em: EntityManager, keys: RowKey[]): Promise<AlertChange[]> {
    const changes: AlertChange[] = [];
    for (const key of keys) if (await this.alerts.resolveIfRecovered(em, key)) changes.push({ ...key, change: 'RESOLVED' });
    return changes;
  }

  /** Either way (stocktake, threshold change). */
  async afterChange(em: EntityManager, keys: RowKey[]): Promise<AlertChange[]> {
    return [...(await this.afterIncrease(em, keys)), ...(await this.afterDecrease(em, keys))];
  }

  /** Call once the transaction committed: one log line and one count per change. */
  report(changes: AlertChange[]): void {
    for (const c of changes) {
      lowStockAlertsTotal.inc({ change: c.change });
      if (c.change === 'OPENED') this.logger.warn({ sku: c.sku, warehouse: c.warehouse }, 'Low stock: alert opened');
      else this.logger.log({ sku: c.sku, warehouse: c.warehouse }, 'Stock back at threshold: alert resolved');
    }
  }
}
