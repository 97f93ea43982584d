import { MigrationInterface, QueryRunner } from 'typeorm';

export class Inventory1700000003000 implements MigrationInterface {
  name = 'Inventory1700000003000';

  async up(q: QueryRunner): Promise<void> {
    // One row per (sku, warehouse). The CHECK is a last line of defence: every statement that
    // changes the row is already conditional, so it should never fire.
    await q.query(`
      CREATE TABLE stock (
        sku                  VARCHAR(64) NOT NULL,
        warehouse            VARCHAR(32) NOT NULL,
        on_hand              BIGINT      NOT NULL DEFAULT 0,
        reserved             BIGINT      NOT NULL DEFAULT 0,
        low_stock_threshold  BIGINT      NOT NULL DEFAULT 0,
        version              BIGINT      NOT NULL DEFAULT 0,
        created_at           DATETIME(3) NOT NULL,
        updated_at           DATETIME(3) NOT NULL,
        PRIMARY KEY (sku, warehouse),
        KEY idx_stock_warehouse (warehouse, sku),
        CONSTRAINT chk_stock_quantities CHECK (reserved >= 0 AND on_hand >= reserved AND low_stock_threshold >= 0)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    // One row per order line: freeze_id = <branchId>:<sku>.
    await q.query(`
      CREATE TABLE stock_freeze (
        freeze_id      VARCHAR(200) NOT NULL,
        tx_id          VARCHAR(64)  NOT NULL,
        branch_id      VARCHAR(160) NOT NULL,
        sku            VARCHAR(64)  NOT NULL,
        warehouse      VARCHAR(32)  NOT NULL,
        qty            BIGINT       NOT NULL,
        state          ENUM('FROZEN','CONFIRMED','RELEASED') NOT NULL,
        user_id        VARCHAR(64)  COLLATE utf8mb4_bin NULL,
        limit_charged  TINYINT(1)   NOT NULL DEFAULT 0,
        created_at     DATETIME(3)  NOT NULL,
        updated_at     DATETIME(3)  NOT NULL,
        PRIMARY KEY (freeze_id),
        KEY idx_freeze_branch (branch_id),
        KEY idx_freeze_tx (tx_id),
        KEY idx_freeze_row_state (sku, warehouse, state)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    // The ledger: on_hand and reserved of a row are each the sum of their deltas here.
    await q.query(`
      CREATE TABLE stock_movement (
        id              VARCHAR(26)  NOT NULL,
        sku             VARCHAR(64)  NOT NULL,
        warehouse       VARCHAR(32)  NOT NULL,
        reason          ENUM('INBOUND','OUTBOUND','STOCKTAKE','TRANSFER_IN','TRANSFER_OUT','RESERVE','COMMIT','RELEASE','RESTOCK') NOT NULL,
        ref             VARCHAR(200) NOT NULL,
        delta_on_hand   BIGINT       NOT NULL,
        delta_reserved  BIGINT       NOT NULL,
        created_at      DATETIME(3)  NOT NULL,
        PRIMARY KEY (id),
        KEY idx_movement_row (sku, warehouse, created_at),
        KEY idx_movement_created (created_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    // open_marker is 1 while OPEN and NULL once RESOLVED: the unique key allows one open alert per row.
    await q.query(`
      CREATE TABLE stock_alert (
        id           VARCHAR(26) NOT NULL,
        sku          VARCHAR(64) NOT NULL,
        warehouse    VARCHAR(32) NOT NULL,
        available    BIGINT      NOT NULL,
        threshold    BIGINT      NOT NULL,
        state        ENUM('OPEN','RESOLVED') NOT NULL,
        open_marker  TINYINT     NULL,
        opened_at    DATETIME(3) NOT NULL,
        resolved_at  DATETIME(3) NULL,
        PRIMARY KEY (id),
        UNIQUE KEY uq_alert_open (sku, warehouse, open_marker),
        KEY idx_alert_state (state, opened_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    // Units of a sku one user holds (frozen or bought), for product.max_per_user.
    await q.query(`
      CREATE TABLE purchase_counter (
        -- user ids are compared byte for byte: Kim and kim are two users with two limits
        user_id     VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
        sku         VARCHAR(64) NOT NULL,
        qty         BIGINT      NOT NULL,
        updated_at  DATETIME(3) NOT NULL,
        PRIMARY KEY (user_id, sku),
        CONSTRAINT chk_purchase_counter_qty CHECK (qty >= 0)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE purchase_counter');
    await q.query('DROP TABLE stock_alert');
    await q.query('DROP TABLE stock_movement');
    await q.query('DROP TABLE stock_freeze');
    await q.query('DROP TABLE stock');
  }
}
