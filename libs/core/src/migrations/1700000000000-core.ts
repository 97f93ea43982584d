import { MigrationInterface, QueryRunner } from 'typeorm';

export class Core1700000000000 implements MigrationInterface {
  name = 'Core1700000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_record (
        -- byte-for-byte: the scope holds a user id (u:Kim and u:kim are two users) and keys are case-sensitive
        scope          VARCHAR(100) COLLATE utf8mb4_bin NOT NULL,
        idem_key       VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
        request_hash   CHAR(64)     NOT NULL,
        state          ENUM('IN_FLIGHT','DONE') NOT NULL,
        status_code    SMALLINT     NULL,
        response_body  JSON         NULL,
        created_at     DATETIME(3)  NOT NULL,
        expires_at     DATETIME(3)  NOT NULL,
        PRIMARY KEY (scope, idem_key),
        KEY idx_idempotency_expires (expires_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE idempotency_record');
  }
}
