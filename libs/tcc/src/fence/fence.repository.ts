import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { affectedRows } from '@app/core';

export type FenceStatus = 'TRIED' | 'CONFIRMED' | 'CANCELLED';

/**
 * The only class that touches `tcc_fence`. Every statement runs on the participant's local
 * transaction (`em`), so fence and business change commit together. As docs/tcc.md#fences says, it
 * never SELECTs ... FOR UPDATE a row that may be missing: it inserts-or-ignores or updates
 * with a condition and reads the affected-row count.
 */
@Injectable()
export class FenceRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** True when this call created the fence row (nobody had tried or cancelled the branch yet). */
  async insertIfAbsent(
    em: EntityManager,
    txId: string,
    branchId: string,
    status: 'TRIED' | 'CANCELLED',
  ): Promise<boolean> {
    const result: unknown = await em.query(
      `INSERT IGNORE INTO tcc_fence (tx_id, branch_id, status, created_at, updated_at)
       VALUES (?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
      [txId, branchId, status],
    );
    return affectedRows(result) === 1;
  }

  /** Every TRIED fence of the tx → `to`; the count moved (the caller compares it with its branches). */
  async moveAllFromTried(em: EntityManager, txId: string, to: 'CONFIRMED' | 'CANCELLED'): Promise<number> {
    const result: unknown = await em.query(
      `UPDATE tcc_fence SET status = ?, updated_at = UTC_TIMESTAMP(3) WHERE tx_id = ? AND status = 'TRIED'`,
      [to, txId],
    );
    return affectedRows(result);
  }

  /** TRIED → `to`; true when this call moved it (the condition makes "matched" mean "changed"). */
  async moveFromTried(
    em: EntityManager,
    txId: string,
    branchId: string,
    to: 'CONFIRMED' | 'CANCELLED',
  ): Promise<boolean> {
    const result: unknown = await em.query(
      `UPDATE tcc_fence SET status = ?, updated_at = UTC_TIMESTAMP(3)
       WHERE tx_id = ? AND branch_id = ? AND status = 'TRIED'`,
      [to, txId, branchId],
    );
    return affectedRows(result) === 1;
  }

  /** Plain read, used only after an insert/update told us the row exists and is not what we wanted. */
  async statusOf(em: EntityManager, txId: string, branchId: string): Promise<FenceStatus | null> {
    const rows: Array<{ status: FenceStatus }> = await em.query(
      'SELECT status FROM tcc_fence WHERE tx_id = ? AND branch_id = ?',
      [txId, branchId],
    );
    return rows[0]?.status ?? null;
  }

  /**
   * Deletes up to `batch` fences of finished transactions whose fence is older than the retention
   * and whose deadline passed at least that long ago (a tombstone must outlive any late try).
   */
  async deleteExpired(retentionSec: number, batch: number): Promise<number> {
    const result: unknown = await this.dataSource.query(
      `DELETE FROM tcc_fence
       WHERE updated_at < DATE_SUB(UTC_TIMESTAMP(3), INTERVAL ? SECOND)
         AND tx_id IN (SELECT t.tx_id FROM tcc_transaction t
                       WHERE t.status IN ('CONFIRMED', 'CANCELLED')
                         AND t.deadline_at < DATE_SUB(UTC_TIMESTAMP(3), INTERVAL ? SECOND))
       LIMIT ?`,
      [retentionSec, retentionSec, batch],
    );
    return affectedRows(result);
  }
}
