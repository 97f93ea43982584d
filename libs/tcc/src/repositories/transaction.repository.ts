import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { affectedRows, inTransaction } from '@app/core';
import type { LocalUnit } from '../local/local-unit';
import type { CancelReason } from '../participant';
import type { TxStatus } from '../tcc.types';
import { BranchRow, NOW, NOW_PLUS_MS, toNameAndBranches, toTx, TX_COLUMNS, TxRow } from './tcc-rows';

export type { BranchRow, TxRow } from './tcc-rows';

const NAME_AND_BRANCHES = `SELECT t.name AS txName, b.branch_id AS branchId, b.tx_id AS txId, b.participant, b.payload, b.status,
    b.attempts, b.last_error AS lastError, b.created_at AS createdAt, b.updated_at AS updatedAt
  FROM tcc_transaction t LEFT JOIN tcc_branch b ON b.tx_id = t.tx_id
  WHERE t.tx_id = ?`;
const LEASE_FREE = `(lease_until IS NULL OR lease_until < ${NOW})`;

/**
 * The only class that touches `tcc_transaction` (and, for a tx begun with its branches already
 * TRIED, their `tcc_branch` and new `tcc_fence` rows in the same round trip; FenceRepository moves
 * fences, BranchRepository single branches). Every status change is a compare-and-set
 * (`WHERE status = ?`) whose affected-row count says who won.
 */
@Injectable()
export class TransactionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Inserts a TRYING tx; false when the id exists. */
  async insertTransaction(txId: string, name: string, deadline: { at: Date } | { inMs: number }): Promise<boolean> {
    const deadlineSql = 'at' in deadline ? '?' : NOW_PLUS_MS;
    const deadlineArg = 'at' in deadline ? deadline.at : Math.round(deadline.inMs * 1000);
    const result: unknown = await this.dataSource.query(
      `INSERT IGNORE INTO tcc_transaction (tx_id, name, status, deadline_at, retry_count, created_at, updated_at)
       VALUES (?, ?, 'TRYING', ${deadlineSql}, 0, ${NOW}, ${NOW})`,
      [txId, name, deadlineArg],
    );
    return affectedRows(result) === 1;
  }

  async findTransaction(txId: string, em: EntityManager = this.dataSource.manager): Promise<TxRow | null> {
    const rows: TxRow[] = await em.query(`SELECT ${TX_COLUMNS} FROM tcc_transaction WHERE tx_id = ?`, [txId]);
    return rows[0] ? toTx(rows[0]) : null;
  }

  /**
   * Locks the tx row (it exists: the caller begun it) so that a branch registered now is seen
   * by any commit or rollback that comes after. Returns null if it is gone after all.
   */
  async lockForBranch(
    em: EntityManager,
    txId: string,
  ): Promise<{ name: string; status: TxStatus; open: boolean } | null> {
    const rows: Array<{ name: string; status: TxStatus; open: number }> = await em.query(
      `SELECT name, status, deadline_at > ${NOW} AS open FROM tcc_transaction WHERE tx_id = ? FOR UPDATE`,
      [txId],
    );
    return rows[0] ? { name: rows[0].name, status: rows[0].status, open: Number(rows[0].open) === 1 } : null;
  }

  /**
   * A new tx with its branches and their fences, all TRIED (their tries run in this same local
   * transaction), queued in the unit: one round trip with the participants' own rows. Plain
   * INSERTs: an existing txId fails the local transaction.
   */
  queueTriedTransaction(
    local: LocalUnit,
    tx: { txId: string; name: string; deadline: { at: Date } | { inMs: number } },
    branches: Array<{ branchId: string; participant: string; payloadJson: string }>,
  ): void {
    const deadlineSql = 'at' in tx.deadline ? '?' : NOW_PLUS_MS;
    const deadlineArg = 'at' in tx.deadline ? tx.deadline.at : Math.round(tx.deadline.inMs * 1000);
    const branchRows = branches.map(() => `(?, ?, ?, ?, 'TRIED', 1, ${NOW}, ${NOW})`).join(', ');
    const fenceRows = branches.map(() => `(?, ?, 'TRIED', ${NOW}, ${NOW})`).join(', ');
    local.write(
      `INSERT INTO tcc_transaction (tx_id, name, status, deadline_at, retry_count, created_at, updated_at)
         VALUES (?, ?, 'TRYING', ${deadlineSql}, 0, ${NOW}, ${NOW});
       INSERT INTO tcc_branch (branch_id, tx_id, participant, payload, status, attempts, created_at, updated_at) VALUES ${branchRows};
       INSERT INTO tcc_fence (tx_id, branch_id, status, created_at, updated_at) VALUES ${fenceRows}`,
      [
        tx.txId,
        tx.name,
        deadlineArg,
        ...branches.flatMap((b) => [b.branchId, tx.txId, b.participant, b.payloadJson]),
        ...branches.flatMap((b) => [tx.txId, b.branchId]),
      ],
    );
  }

  /**
   * TRYING → CONFIRMED and the tx's name and branches, in one round trip; null when the
   * compare-and-set lost. For a commit whose branches are all confirmed in this same local
   * transaction (its rollback undoes the decision with them).
   */
  async confirmAndRead(em: EntityManager, txId: string): Promise<{ name: string; branches: BranchRow[] } | null> {
    const [decided, rows] = await em.query<[unknown, Array<BranchRow & { txName: string }>]>(
      `UPDATE tcc_transaction SET status = 'CONFIRMED', next_retry_at = NULL, lease_owner = NULL, lease_until = NULL,
         last_error = NULL, updated_at = ${NOW}
       WHERE tx_id = ? AND status = 'TRYING';
       ${NAME_AND_BRANCHES}`,
      [txId, txId],
    );
    return affectedRows(decided) === 1 ? toNameAndBranches(rows) : null;
  }

  /**
   * Every TRIED fence and branch row of the tx → `to`, queued in the unit with the expectation
   * that exactly `count` of each move; otherwise the local transaction fails with `mismatch()`.
   */
  queueMoveAllTried(
    local: LocalUnit,
    txId: string,
    to: 'CONFIRMED' | 'CANCELLED',
    count: number,
    mismatch: () => Error,
  ): void {
    local.expect(
      `UPDATE tcc_fence SET status = ?, updated_at = ${NOW} WHERE tx_id = ? AND status = 'TRIED'`,
      [to, txId],
      count,
      mismatch,
    );
    local.expect(
      `UPDATE tcc_branch SET status = ?, attempts = attempts + 1, last_error = NULL, updated_at = ${NOW} WHERE tx_id = ? AND status = 'TRIED'`,
      [to, txId],
      count,
      mismatch,
    );
  }

  /** The tx's name and branches in one read (inside the local transaction that just decided it). */
  async nameAndBranches(em: EntityManager, txId: string): Promise<{ name: string; branches: BranchRow[] } | null> {
    return toNameAndBranches(await em.query(NAME_AND_BRANCHES, [txId]));
  }

  /**
   * TRYING → CONFIRMING/CANCELLING: the compare-and-set that decides a tx's fate. The winner
   * takes the lease, so the recovery job leaves the tx alone while the winner drives it.
   */
  async startCompletion(
    em: EntityManager,
    txId: string,
    to: 'CONFIRMING' | 'CANCELLING',
    lease: { owner: string; ms: number },
    cancelReason: CancelReason | null,
  ): Promise<boolean> {
    const result: unknown = await em.query(
      `UPDATE tcc_transaction
       SET status = ?, cancel_reason = ?, next_retry_at = ${NOW}, lease_owner = ?, lease_until = ${NOW_PLUS_MS}, updated_at = ${NOW}
       WHERE tx_id = ? AND status = 'TRYING'`,
      [to, cancelReason, lease.owner, lease.ms * 1000, txId],
    );
    return affectedRows(result) === 1;
  }

  /** Recovery: an expired TRYING tx this worker holds the lease of → CANCELLING (reason EXPIRED). */
  async expire(txId: string, leaseOwner: string): Promise<boolean> {
    const result: unknown = await this.dataSource.query(
      `UPDATE tcc_transaction SET status = 'CANCELLING', cancel_reason = 'EXPIRED', next_retry_at = ${NOW}, updated_at = ${NOW}
       WHERE tx_id = ? AND status = 'TRYING' AND deadline_at <= ${NOW} AND lease_owner = ?`,
      [txId, leaseOwner],
    );
    return affectedRows(result) === 1;
  }

  /** CONFIRMING → CONFIRMED / CANCELLING → CANCELLED once every branch is done; frees the lease. */
  async finish(
    txId: string,
    from: 'CONFIRMING' | 'CANCELLING',
    em: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const to = from === 'CONFIRMING' ? 'CONFIRMED' : 'CANCELLED';
    const result: unknown = await em.query(
      `UPDATE tcc_transaction SET status = ?, next_retry_at = NULL, lease_owner = NULL, lease_until = NULL,
         last_error = NULL, updated_at = ${NOW}
       WHERE tx_id = ? AND status = ?`,
      [to, txId, from],
    );
    return affectedRows(result) === 1;
  }

  /**
   * A confirm/cancel round failed: count it, remember why, come back after `delayMs`, and
   * free the lease. Only the lease holder may do this (a worker whose lease ran out may not).
   * False when the lease was no longer ours.
   */
  async scheduleRetry(
    txId: string,
    from: 'CONFIRMING' | 'CANCELLING',
    leaseOwner: string,
    delayMs: number,
    error: string,
    flag: boolean,
  ): Promise<boolean> {
    const result: unknown = await this.dataSource.query(
      `UPDATE tcc_transaction
       SET retry_count = retry_count + 1, next_retry_at = ${NOW_PLUS_MS}, last_error = ?,
           flagged_at = ${flag ? `COALESCE(flagged_at, ${NOW})` : 'flagged_at'},
           lease_owner = NULL, lease_until = NULL, updated_at = ${NOW}
       WHERE tx_id = ? AND status = ? AND lease_owner = ?`,
      [Math.round(delayMs * 1000), error, txId, from, leaseOwner],
    );
    return affectedRows(result) === 1;
  }

  /**
   * Claims up to `limit` due transactions for `owner`: retries whose time has come and TRYING
   * txs past their deadline, skipping any whose lease is still held by someone else. One
   * statement, so two workers can never claim the same row (InnoDB row locks decide). Two
   * workers' claims can deadlock on the index range they scan; the victim's claim changed
   * nothing and is run again (inTransaction retries it).
   */
  async claimDue(owner: string, leaseMs: number, limit: number): Promise<TxRow[]> {
    await inTransaction(this.dataSource, (em) =>
      em.query(
        `UPDATE tcc_transaction SET lease_owner = ?, lease_until = ${NOW_PLUS_MS}
       WHERE ((status IN ('CONFIRMING', 'CANCELLING') AND next_retry_at <= ${NOW})
              OR (status = 'TRYING' AND deadline_at <= ${NOW}))
         AND ${LEASE_FREE}
       ORDER BY COALESCE(next_retry_at, deadline_at)
       LIMIT ?`,
        [owner, leaseMs * 1000, limit],
      ),
    );
    return this.leasedBy(owner);
  }

  /** Claims one tx now (operator "retry"), ignoring its backoff but never someone else's lease. */
  async claimOne(txId: string, owner: string, leaseMs: number): Promise<TxRow | null> {
    await this.dataSource.query(
      `UPDATE tcc_transaction SET lease_owner = ?, lease_until = ${NOW_PLUS_MS}
       WHERE tx_id = ?
         AND (status IN ('CONFIRMING', 'CANCELLING') OR (status = 'TRYING' AND deadline_at <= ${NOW}))
         AND ${LEASE_FREE}`,
      [owner, leaseMs * 1000, txId],
    );
    return (await this.leasedBy(owner))[0] ?? null;
  }

  /**
   * Extends this owner's lease just before it works the tx. False when another worker has
   * claimed it since (the lease ran out while earlier txs of the batch were being worked).
   */
  async renewLease(txId: string, owner: string, leaseMs: number): Promise<boolean> {
    const result: unknown = await this.dataSource.query(
      `UPDATE tcc_transaction SET lease_until = ${NOW_PLUS_MS} WHERE tx_id = ? AND lease_owner = ?`,
      [leaseMs * 1000, txId, owner],
    );
    return affectedRows(result) === 1;
  }

  async releaseLease(txId: string, owner: string): Promise<void> {
    await this.dataSource.query(
      'UPDATE tcc_transaction SET lease_owner = NULL, lease_until = NULL WHERE tx_id = ? AND lease_owner = ?',
      [txId, owner],
    );
  }

  async statusesOf(txIds: string[]): Promise<Map<string, TxStatus>> {
    const out = new Map<string, TxStatus>();
    for (let i = 0; i < txIds.length; i += 1000) {
      const chunk = txIds.slice(i, i + 1000);
      const rows: Array<{ txId: string; status: TxStatus }> = await this.dataSource.query(
        `SELECT tx_id AS txId, status FROM tcc_transaction WHERE tx_id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      for (const r of rows) out.set(r.txId, r.status);
    }
    return out;
  }

  private async leasedBy(owner: string): Promise<TxRow[]> {
    const rows: TxRow[] = await this.dataSource.query(
      `SELECT ${TX_COLUMNS} FROM tcc_transaction WHERE lease_owner = ?`,
      [owner],
    );
    return rows.map(toTx);
  }
}
