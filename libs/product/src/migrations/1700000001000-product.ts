import { MigrationInterface, QueryRunner } from 'typeorm';

export class Product1700000001000 implements MigrationInterface {
  name = 'Product1700000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE product (
        sku           VARCHAR(64)  NOT NULL,
        name          VARCHAR(200) NOT NULL,
        category      VARCHAR(100) NOT NULL,
        price_cents   BIGINT       NOT NULL,
        status        ENUM('ACTIVE','INACTIVE') NOT NULL DEFAULT 'ACTIVE',
        max_per_user  INT          NULL,
        created_at    DATETIME(3)  NOT NULL,
        updated_at    DATETIME(3)  NOT NULL,
        PRIMARY KEY (sku),
        KEY idx_product_category_status (category, status, sku),
        KEY idx_product_status (status, sku)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`
      CREATE TABLE warehouse (
        code        VARCHAR(32)  NOT NULL,
        name        VARCHAR(200) NOT NULL,
        created_at  DATETIME(3)  NOT NULL,
        PRIMARY KEY (code)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`INSERT INTO warehouse (code, name, created_at) VALUES ('main', 'Main warehouse', UTC_TIMESTAMP(3))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE warehouse');
    await q.query('DROP TABLE product');
  }
}
