import { MigrationInterface, QueryRunner } from 'typeorm';

export class Coupon1700000004000 implements MigrationInterface {
  name = 'Coupon1700000004000';

  // Ids are compared byte for byte (utf8mb4_bin): users 'Ann' and 'ann' are different people.
  async up(q: QueryRunner): Promise<void> {
    // A coupon definition: FIXED = cents off, PERCENT = percent off (1-100).
    await q.query(`
      CREATE TABLE coupon (
        code             VARCHAR(64)  NOT NULL,
        type             ENUM('FIXED','PERCENT') NOT NULL,
        value            BIGINT       NOT NULL,
        min_order_cents  BIGINT       NOT NULL DEFAULT 0,
        valid_from       DATETIME(3)  NULL,
        valid_to         DATETIME(3)  NULL,
        created_at       DATETIME(3)  NOT NULL,
        PRIMARY KEY (code),
        CONSTRAINT chk_coupon_value CHECK (value >= 1 AND (type = 'FIXED' OR value <= 100)),
        CONSTRAINT chk_coupon_min_order CHECK (min_order_cents >= 0)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    // One coupon issued to one user; tx_id = the transaction that last moved its state.
    await q.query(`
      CREATE TABLE user_coupon (
        user_id     VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
        code        VARCHAR(64)  NOT NULL,
        state       ENUM('AVAILABLE','FROZEN','USED') NOT NULL,
        tx_id       VARCHAR(64) COLLATE utf8mb4_bin NULL,
        created_at  DATETIME(3)  NOT NULL,
        updated_at  DATETIME(3)  NOT NULL,
        PRIMARY KEY (user_id, code),
        KEY idx_user_coupon_user_created (user_id, created_at),
        KEY idx_user_coupon_state (state, tx_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE user_coupon');
    await q.query('DROP TABLE coupon');
  }
}
