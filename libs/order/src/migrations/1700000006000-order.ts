import { MigrationInterface, QueryRunner } from 'typeorm';

export class Order1700000006000 implements MigrationInterface {
  name = 'Order1700000006000';

  async up(q: QueryRunner): Promise<void> {
    // user_id and idempotency_key are compared byte for byte (ascii_bin): "Key" and "key" are two keys.
    // pay_lock_*: one payment attempt per order at a time (see order-payment-lock.ts).
    await q.query(`
      CREATE TABLE orders (
        order_id         VARCHAR(26)  NOT NULL,
        user_id          VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        status           ENUM('PENDING_PAYMENT','PAID','CANCELLED','EXPIRED','REFUNDED') NOT NULL,
        warehouse        VARCHAR(32)  NOT NULL,
        coupon_code      VARCHAR(64)  NULL,
        total_cents      BIGINT       NOT NULL,
        discount_cents   BIGINT       NOT NULL,
        payable_cents    BIGINT       NOT NULL,
        tx_id            VARCHAR(26)  NOT NULL,
        refund_tx_id     VARCHAR(26)  NULL,
        idempotency_key  VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        expires_at       DATETIME(3)  NOT NULL,
        pay_lock_token   VARCHAR(26)  NULL,
        pay_lock_until   DATETIME(3)  NULL,
        created_at       DATETIME(3)  NOT NULL,
        updated_at       DATETIME(3)  NOT NULL,
        PRIMARY KEY (order_id),
        UNIQUE KEY uq_orders_user_idempotency (user_id, idempotency_key),
        UNIQUE KEY uq_orders_tx (tx_id),
        KEY idx_orders_user_status_created (user_id, status, created_at),
        KEY idx_orders_user_created (user_id, created_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`
      CREATE TABLE order_item (
        order_id          VARCHAR(26) NOT NULL,
        sku               VARCHAR(64) NOT NULL,
        qty               INT         NOT NULL,
        unit_price_cents  BIGINT      NOT NULL,
        PRIMARY KEY (order_id, sku)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE order_item');
    await q.query('DROP TABLE orders');
  }
}
