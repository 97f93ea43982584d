import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { affectedRows } from '@app/core';
import type { LocalUnit } from '../local/local-unit';
import type { BranchStatus } from '../tcc.types';
import { BRANCH_COLUMNS, BranchRow, inCreationOrder, NOW, toBranch } from './tcc-rows';

/**
 * One branch's row of `tcc_branch`: registered, moved after a phase, a failure recorded. (A
 * whole tx's branches moved at once, with its decision, are TransactionRepository's.)
 */
@Injectable()
export class BranchRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Registers a branch (status TRYING); false when it was registered before. */
  async insertBranch(
    em: EntityManager,
    b: { branchId: string; txId: string; participant: string; payloadJson: string },
  ): Promise<boolean> {
    const result: unknown = await em.query(
      `INSERT IGNORE INTO tcc_branch (branch_id, tx_id, participant, payload, status, attempts, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'TRYING', 0, ${NOW}, ${NOW})`,
      [b.branchId, b.txId, b.participant, b.payloadJson],
    );
    return affectedRows(result) === 1;
  }

  /**
   * A branch tried and confirmed in the local transaction of its commit: its row and fence are
   * written CONFIRMED at once (queued in the unit; a refused try rolls them back with the rest).
   */
  queueConfirmedBranch(
    local: LocalUnit,
    txId: string,
    b: { branchId: string; participant: string; payloadJson: string },
  ): void {
    local.write(
      `INSERT INTO tcc_branch (branch_id, tx_id, participant, payload, status, attempts, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'CONFIRMED', 2, ${NOW}, ${NOW});
       INSERT INTO tcc_fence (tx_id, branch_id, status, created_at, updated_at) VALUES (?, ?, 'CONFIRMED', ${NOW}, ${NOW})`,
      [b.branchId, txId, b.participant, b.payloadJson, txId, b.branchId],
    );
  }

  /**
   * A refused branch is being tried again: back to TRYING (under the tx row lock), so a commit
   * waits for this try's outcome instead of rolling the branch back under the caller's feet.
   */
  async reopenFailedBranch(em: EntityManager, branchId: string): Promise<void> {
    await em.query(
      `UPDATE tcc_branch SET status = 'TRYING', updated_at = ${NOW} WHERE branch_id = ? AND status = 'TRY_FAILED'`,
      [branchId],
    );
  }

  async findBranch(branchId: string, em: EntityManager = this.dataSource.manager): Promise<BranchRow | null> {
    const rows: BranchRow[] = await em.query(`SELECT ${BRANCH_COLUMNS} FROM tcc_branch WHERE branch_id = ?`, [
      branchId,
    ]);
    return rows[0] ? toBranch(rows[0]) : null;
  }

  async branchesOf(txId: string, em: EntityManager = this.dataSource.manager): Promise<BranchRow[]> {
    const rows: BranchRow[] = await em.query(`SELECT ${BRANCH_COLUMNS} FROM tcc_branch WHERE tx_id = ?`, [txId]);
    return rows.map(toBranch).sort(inCreationOrder);
  }

  /** Moves a branch to `to` after a successful phase (one more attempt, error cleared). */
  async markBranch(em: EntityManager, branchId: string, to: BranchStatus, onlyFrom?: BranchStatus[]): Promise<boolean> {
    const from = onlyFrom?.length ? `AND status IN (${onlyFrom.map(() => '?').join(', ')})` : '';
    const result: unknown = await em.query(
      `UPDATE tcc_branch SET status = ?, attempts = attempts + 1, last_error = NULL, updated_at = ${NOW}
       WHERE branch_id = ? ${from}`,
      [to, branchId, ...(onlyFrom ?? [])],
    );
    return affectedRows(result) === 1;
  }

  /** Records a failed attempt; `to` moves the status too (a refused try → TRY_FAILED) if still `onlyFrom`. */
  async recordBranchFailure(
    branchId: string,
    error: string,
    move?: { to: BranchStatus; onlyFrom: BranchStatus },
  ): Promise<void> {
    const status = move ? `, status = IF(status = ?, ?, status)` : '';
    const args = move ? [move.onlyFrom, move.to] : [];
    await this.dataSource.query(
      `UPDATE tcc_branch SET attempts = attempts + 1, last_error = ?${status}, updated_at = ${NOW} WHERE branch_id = ?`,
      [error, ...args, branchId],
    );
  }
}
