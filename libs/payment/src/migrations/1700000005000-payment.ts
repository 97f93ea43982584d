import { MigrationInterface, QueryRunner } from 'typeorm';

export class Payment1700000005000 implements MigrationInterface {
  name = 'Payment1700000005000';

  // Ids are compared byte for byte (utf8mb4_bin): users 'Ann' and 'ann' are different people.
  async up(q: QueryRunner): Promise<void> {
    // Spendable balance and the part frozen by open payments; the CHECKs back up the conditional updates.
    await q.query(`
      CREATE TABLE wallet (
        user_id        VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
        balance_cents  BIGINT       NOT NULL DEFAULT 0,
        frozen_cents   BIGINT       NOT NULL DEFAULT 0,
        version        INT          NOT NULL DEFAULT 0,
        created_at     DATETIME(3)  NOT NULL,
        updated_at     DATETIME(3)  NOT NULL,
        PRIMARY KEY (user_id),
        CONSTRAINT chk_wallet_balance CHECK (balance_cents >= 0),
        CONSTRAINT chk_wallet_frozen CHECK (frozen_cents >= 0)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    // Every top-up: money that entered the wallets from outside (the "credited" of invariant 6, docs/invariants.md#i6-money-is-conserved).
    await q.query(`
      CREATE TABLE wallet_credit (
        id            VARCHAR(26) COLLATE utf8mb4_bin NOT NULL,
        user_id       VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
        amount_cents  BIGINT       NOT NULL,
        ref           VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
        created_at    DATETIME(3)  NOT NULL,
        PRIMARY KEY (id),
        UNIQUE KEY uq_wallet_credit_ref (ref),
        KEY idx_wallet_credit_user (user_id, created_at),
        CONSTRAINT chk_wallet_credit_amount CHECK (amount_cents > 0)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    // One row per payment attempt of an order; branch_id ties it to its TCC branch.
    await q.query(`
      CREATE TABLE payment (
        payment_id    VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
        order_id      VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
        user_id       VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
        method        ENUM('WALLET','EXTERNAL') NOT NULL,
        amount_cents  BIGINT       NOT NULL,
        status        ENUM('PENDING','FROZEN','CAPTURED','FAILED','REFUNDED') NOT NULL,
        tx_id         VARCHAR(64) COLLATE utf8mb4_bin NULL,
        branch_id     VARCHAR(200) COLLATE utf8mb4_bin NULL,
        -- The order while this payment holds or has taken its money: unique, so an order is never charged twice.
        live_order_id VARCHAR(64) COLLATE utf8mb4_bin
                      GENERATED ALWAYS AS (IF(status IN ('PENDING','FROZEN','CAPTURED'), order_id, NULL)) STORED,
        created_at    DATETIME(3)  NOT NULL,
        updated_at    DATETIME(3)  NOT NULL,
        PRIMARY KEY (payment_id),
        UNIQUE KEY uq_payment_branch (branch_id),
        UNIQUE KEY uq_payment_live_order (live_order_id),
        KEY idx_payment_order (order_id),
        KEY idx_payment_status (status, method),
        CONSTRAINT chk_payment_amount CHECK (amount_cents >= 0)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    // Money given back to a wallet for a payment; at most one refund per payment (full refunds).
    await q.query(`
      CREATE TABLE payment_refund (
        refund_id     VARCHAR(26) COLLATE utf8mb4_bin NOT NULL,
        payment_id    VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
        order_id      VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
        user_id       VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
        amount_cents  BIGINT       NOT NULL,
        reason        ENUM('ORDER_REFUND','LATE_PAYMENT') NOT NULL,
        tx_id         VARCHAR(64) COLLATE utf8mb4_bin NULL,
        created_at    DATETIME(3)  NOT NULL,
        PRIMARY KEY (refund_id),
        UNIQUE KEY uq_payment_refund_payment (payment_id),
        KEY idx_payment_refund_order (order_id),
        CONSTRAINT chk_payment_refund_amount CHECK (amount_cents >= 0)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE payment_refund');
    await q.query('DROP TABLE payment');
    await q.query('DROP TABLE wallet_credit');
    await q.query('DROP TABLE wallet');
  }
}
