import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AuditViolation } from '@app/core';

/** Read-only SQL over the inventory tables for the consistency audit (docs/invariants.md). */
@Injectable()
export class InventoryAuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Invariant 1, "no oversell" (docs/invariants.md#i1-no-oversell): no negative quantity, never
   * more reserved than on hand, never more sold than received.
   */
  async quantityViolations(): Promise<AuditViolation[]> {
    const bad: Array<{ sku: string; warehouse: string; on_hand: string; reserved: string }> =
      await this.dataSource.query(
        `SELECT sku, warehouse, on_hand, reserved FROM stock WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand`,
      );
    const oversold: Array<{ sku: string; warehouse: string; sold: string; received: string }> =
      await this.dataSource.query(
        `SELECT sku, warehouse,
              -SUM(CASE WHEN reason = 'COMMIT' THEN delta_on_hand ELSE 0 END) AS sold,
              SUM(CASE WHEN reason IN ('INBOUND','TRANSFER_IN','RESTOCK') OR (reason = 'STOCKTAKE' AND delta_on_hand > 0)
                       THEN delta_on_hand ELSE 0 END) AS received
         FROM stock_movement GROUP BY sku, warehouse HAVING sold > received`,
      );
    return [
      ...bad.map((r) => ({
        invariant: 1,
        sku: r.sku,
        warehouse: r.warehouse,
        detail: `on_hand=${r.on_hand} reserved=${r.reserved}: need 0 <= reserved <= on_hand`,
      })),
      ...oversold.map((r) => ({
        invariant: 1,
        sku: r.sku,
        warehouse: r.warehouse,
        detail: `sold ${r.sold} units but received only ${r.received}`,
      })),
    ];
  }

  /**
   * Invariant 2, "stock adds up" (docs/invariants.md#i2-stock-adds-up): reserved = sum of FROZEN
   * freezes; on_hand and reserved = sums of their ledger deltas.
   */
  async ledgerViolations(): Promise<AuditViolation[]> {
    const rows: Array<{
      sku: string;
      warehouse: string;
      on_hand: string;
      reserved: string;
      frozen: string;
      ledger_on_hand: string;
      ledger_reserved: string;
    }> = await this.dataSource.query(
      `SELECT s.sku, s.warehouse, s.on_hand, s.reserved,
              COALESCE(f.frozen, 0) AS frozen,
              COALESCE(m.on_hand, 0) AS ledger_on_hand,
              COALESCE(m.reserved, 0) AS ledger_reserved
         FROM stock s
         LEFT JOIN (SELECT sku, warehouse, SUM(qty) AS frozen FROM stock_freeze WHERE state = 'FROZEN'
                     GROUP BY sku, warehouse) f ON f.sku = s.sku AND f.warehouse = s.warehouse
         LEFT JOIN (SELECT sku, warehouse, SUM(delta_on_hand) AS on_hand, SUM(delta_reserved) AS reserved
                      FROM stock_movement GROUP BY sku, warehouse) m ON m.sku = s.sku AND m.warehouse = s.warehouse
        WHERE s.reserved <> COALESCE(f.frozen, 0) OR s.on_hand <> COALESCE(m.on_hand, 0) OR s.reserved <> COALESCE(m.reserved, 0)`,
    );
    const orphans: Array<{ sku: string; warehouse: string; frozen: string }> = await this.dataSource.query(
      `SELECT f.sku, f.warehouse, SUM(f.qty) AS frozen FROM stock_freeze f
         LEFT JOIN stock s ON s.sku = f.sku AND s.warehouse = f.warehouse
        WHERE f.state = 'FROZEN' AND s.sku IS NULL GROUP BY f.sku, f.warehouse`,
    );
    return [
      ...rows.map((r) => ({
        invariant: 2,
        sku: r.sku,
        warehouse: r.warehouse,
        detail:
          `on_hand=${r.on_hand} (ledger ${r.ledger_on_hand}), reserved=${r.reserved} ` +
          `(ledger ${r.ledger_reserved}, FROZEN freezes ${r.frozen})`,
      })),
      ...orphans.map((r) => ({
        invariant: 2,
        sku: r.sku,
        warehouse: r.warehouse,
        detail: `${r.frozen} units FROZEN for a stock row that does not exist`,
      })),
    ];
  }

  /**
   * FROZEN freezes with their transaction ids, for invariant 3
   * (docs/invariants.md#i3-settled-orders-hold-nothing; checked against the TCC coordinator).
   */
  async frozenFreezes(): Promise<Array<{ freezeId: string; txId: string; sku: string; warehouse: string }>> {
    const rows: Array<{ freeze_id: string; tx_id: string; sku: string; warehouse: string }> =
      await this.dataSource.query(`SELECT freeze_id, tx_id, sku, warehouse FROM stock_freeze WHERE state = 'FROZEN'`);
    return rows.map((r) => ({ freezeId: r.freeze_id, txId: r.tx_id, sku: r.sku, warehouse: r.warehouse }));
  }
}
