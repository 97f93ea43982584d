import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each attempt that holds a key gets an id, so a route can write its response into its own
 * business transaction and know it still holds the key (a crashed attempt is taken over after
 * the in-flight window; the late one must then roll back, not record over the new one).
 */
export class IdempotencyAttempt1700000007000 implements MigrationInterface {
  name = 'IdempotencyAttempt1700000007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_record ADD COLUMN attempt_id CHAR(26) NULL AFTER request_hash`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_record DROP COLUMN attempt_id`);
  }
}
