import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { affectedRows, inTransaction } from '@app/core';

const NOW = 'UTC_TIMESTAMP(3)';

/** The purge of finished `tcc_transaction` / `tcc_branch` rows (the rest is TransactionRepository's). */
@Injectable()
export class TransactionPurgeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Deletes up to `batch` finished transactions (CONFIRMED/CANCELLED) with their branch rows,
   * once they are older than the retention (created, last changed and deadline) and no fence of
   * theirs is left (the fence cleanup reaches fences through the tx row; a tombstone still there
   * is still needed). One local transaction per batch; returns the transactions deleted.
   */
  async purgeFinished(retentionSec: number, batch: number): Promise<number> {
    return inTransaction(this.dataSource, async (em) => {
      const rows: Array<{ txId: string }> = await em.query(
        `SELECT t.tx_id AS txId FROM tcc_transaction t
         WHERE t.status IN ('CONFIRMED', 'CANCELLED')
           AND t.created_at < DATE_SUB(${NOW}, INTERVAL ? SECOND)
           AND t.updated_at < DATE_SUB(${NOW}, INTERVAL ? SECOND)
           AND t.deadline_at < DATE_SUB(${NOW}, INTERVAL ? SECOND)
           AND NOT EXISTS (SELECT 1 FROM tcc_fence f WHERE f.tx_id = t.tx_id)
         LIMIT ? FOR UPDATE SKIP LOCKED`,
        [retentionSec, retentionSec, retentionSec, batch],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.txId);
      const list = ids.map(() => '?').join(', ');
      const [, deleted] = await em.query<[unknown, unknown]>(
        `DELETE FROM tcc_branch WHERE tx_id IN (${list});
         DELETE FROM tcc_transaction WHERE tx_id IN (${list}) AND status IN ('CONFIRMED', 'CANCELLED')`,
        [...ids, ...ids],
      );
      return affectedRows(deleted);
    });
  }
}
