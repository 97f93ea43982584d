import { MigrationInterface, QueryRunner } from 'typeorm';

export class Tcc1700000002000 implements MigrationInterface {
  name = 'Tcc1700000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tcc_transaction (
        tx_id          VARCHAR(64)   NOT NULL,
        name           VARCHAR(64)   NOT NULL,
        status         ENUM('TRYING','CONFIRMING','CONFIRMED','CANCELLING','CANCELLED') NOT NULL,
        deadline_at    DATETIME(3)   NOT NULL,
        next_retry_at  DATETIME(3)   NULL,
        retry_count    INT           NOT NULL DEFAULT 0,
        lease_owner    VARCHAR(128)  NULL,
        lease_until    DATETIME(3)   NULL,
        last_error     VARCHAR(1000) NULL,
        cancel_reason  VARCHAR(16)   NULL,
        flagged_at     DATETIME(3)   NULL,
        created_at     DATETIME(3)   NOT NULL,
        updated_at     DATETIME(3)   NOT NULL,
        PRIMARY KEY (tx_id),
        -- recovery claim: due retries and expired TRYING txs (one range per status value)
        KEY idx_tcc_tx_retry_due (status, next_retry_at),
        KEY idx_tcc_tx_deadline_due (status, deadline_at),
        -- a worker reads back what it just claimed
        KEY idx_tcc_tx_lease_owner (lease_owner),
        -- admin list (newest first, by status and/or name) and the oldest-pending gauge
        KEY idx_tcc_tx_status_created (status, created_at),
        KEY idx_tcc_tx_name_status_created (name, status, created_at),
        KEY idx_tcc_tx_created (created_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`
      CREATE TABLE tcc_branch (
        branch_id    VARCHAR(200)  NOT NULL,
        tx_id        VARCHAR(64)   NOT NULL,
        participant  VARCHAR(64)   NOT NULL,
        payload      JSON          NOT NULL,
        status       ENUM('TRYING','TRIED','TRY_FAILED','CONFIRMED','CANCELLED') NOT NULL,
        attempts     INT           NOT NULL DEFAULT 0,
        last_error   VARCHAR(1000) NULL,
        created_at   DATETIME(3)   NOT NULL,
        updated_at   DATETIME(3)   NOT NULL,
        PRIMARY KEY (branch_id),
        KEY idx_tcc_branch_tx (tx_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`
      CREATE TABLE tcc_fence (
        tx_id       VARCHAR(64)  NOT NULL,
        branch_id   VARCHAR(200) NOT NULL,
        status      ENUM('TRIED','CONFIRMED','CANCELLED') NOT NULL,
        created_at  DATETIME(3)  NOT NULL,
        updated_at  DATETIME(3)  NOT NULL,
        PRIMARY KEY (tx_id, branch_id),
        KEY idx_tcc_fence_cleanup (updated_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE tcc_fence');
    await q.query('DROP TABLE tcc_branch');
    await q.query('DROP TABLE tcc_transaction');
  }
}
