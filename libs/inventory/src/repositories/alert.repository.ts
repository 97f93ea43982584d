import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { affectedRows, newId, selectPage, Where } from '@app/core';
import type { RowKey } from '../inventory.types';

export type AlertState = 'OPEN' | 'RESOLVED';

export interface AlertView {
  id: string;
  sku: string;
  warehouse: string;
  available: number;
  threshold: number;
  state: AlertState;
  openedAt: string;
  resolvedAt: string | null;
}

/** What happened to a row's alert in a transaction (logged and counted after the commit). */
export interface AlertChange extends RowKey {
  change: 'OPENED' | 'RESOLVED';
}

const OPEN_IF_BELOW = `INSERT IGNORE INTO stock_alert (id, sku, warehouse, available, threshold, state, open_marker, opened_at)
       SELECT ?, sku, warehouse, on_hand - reserved, low_stock_threshold, 'OPEN', 1, UTC_TIMESTAMP(3)
         FROM stock WHERE sku = ? AND warehouse = ? AND on_hand - reserved < low_stock_threshold`;
const RESOLVE_IF_RECOVERED = `UPDATE stock_alert a JOIN stock s ON s.sku = a.sku AND s.warehouse = a.warehouse
          SET a.state = 'RESOLVED', a.open_marker = NULL, a.resolved_at = UTC_TIMESTAMP(3)
        WHERE a.sku = ? AND a.warehouse = ? AND a.open_marker = 1
          AND s.on_hand - s.reserved >= s.low_stock_threshold`;

/**
 * The only class that touches `stock_alert`. Callers hold the stock row's lock, so alert
 * changes of one row never race each other.
 */
@Injectable()
export class AlertRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Opens an alert if the row is below its threshold and has none open. true = opened now. */
  async openIfBelow(em: EntityManager, key: RowKey): Promise<boolean> {
    const result: unknown = await em.query(OPEN_IF_BELOW, [newId(), key.sku, key.warehouse]);
    return affectedRows(result) === 1;
  }

  /** Resolves the open alert once the row is at or above its threshold. true = resolved now. */
  async resolveIfRecovered(em: EntityManager, key: RowKey): Promise<boolean> {
    const result: unknown = await em.query(RESOLVE_IF_RECOVERED, [key.sku, key.warehouse]);
    return affectedRows(result) >= 1;
  }

  /**
   * Outside any transaction, after a change committed: resolves or opens as the row now stands,
   * both statements in one round trip (autocommit: each is atomic on its own).
   */
  async recheck(key: RowKey): Promise<AlertChange[]> {
    const [resolved, opened] = await this.dataSource.query<[unknown, unknown]>(
      `${RESOLVE_IF_RECOVERED}; ${OPEN_IF_BELOW}`,
      [key.sku, key.warehouse, newId(), key.sku, key.warehouse],
    );
    const changes: AlertChange[] = [];
    if (affectedRows(resolved) >= 1) changes.push({ ...key, change: 'RESOLVED' });
    if (affectedRows(opened) === 1) changes.push({ ...key, change: 'OPENED' });
    return changes;
  }

  async findPage(
    filter: { state?: AlertState; sku?: string; warehouse?: string },
    limit: number,
    offset: number,
  ): Promise<[AlertView[], number]> {
    const where = new Where()
      .equals('state', filter.state)
      .equals('sku', filter.sku)
      .equals('warehouse', filter.warehouse);
    const [rows, total] = await selectPage<RawAlert>(
      this.dataSource,
      {
        columns: 'id, sku, warehouse, available, threshold, state, opened_at, resolved_at',
        from: 'stock_alert',
        where,
        orderBy: 'opened_at DESC, id DESC',
      },
      limit,
      offset,
    );
    return [rows.map(toView), total];
  }
}

interface RawAlert {
  id: string;
  sku: string;
  warehouse: string;
  available: string | number;
  threshold: string | number;
  state: AlertState;
  opened_at: Date;
  resolved_at: Date | null;
}

function toView(r: RawAlert): AlertView {
  return {
    id: r.id,
    sku: r.sku,
    warehouse: r.warehouse,
    available: Number(r.available),
    threshold: Number(r.threshold),
    state: r.state,
    openedAt: new Date(r.opened_at).toISOString(),
    resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
  };
}
