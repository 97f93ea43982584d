import type { BranchView, TxView } from '../tcc.types';

/** Rows of `tcc_transaction` and `tcc_branch` as both repositories read them, and the SQL they share. */

/** A `tcc_transaction` row: what a TxView shows, and the recovery lease. */
export interface TxRow extends Omit<TxView, 'branches'> {
  leaseOwner: string | null;
  leaseUntil: Date | null;
}

export interface BranchRow extends BranchView {
  txId: string;
  payload: unknown;
}

export const TX_COLUMNS = `tx_id AS txId, name, status, deadline_at AS deadlineAt, next_retry_at AS nextRetryAt,
  retry_count AS retryCount, lease_owner AS leaseOwner, lease_until AS leaseUntil, last_error AS lastError,
  cancel_reason AS cancelReason, flagged_at AS flaggedAt, created_at AS createdAt, updated_at AS updatedAt`;
export const BRANCH_COLUMNS = `branch_id AS branchId, tx_id AS txId, participant, payload, status, attempts,
  last_error AS lastError, created_at AS createdAt, updated_at AS updatedAt`;
export const NOW = 'UTC_TIMESTAMP(3)';
/** `? ms from now`, in database time so every instance agrees on the clock. */
export const NOW_PLUS_MS = 'DATE_ADD(UTC_TIMESTAMP(3), INTERVAL ? MICROSECOND)';

export function toTx(r: TxRow): TxRow {
  return { ...r, retryCount: Number(r.retryCount) };
}

export function toNameAndBranches(
  rows: Array<BranchRow & { txName: string }>,
): { name: string; branches: BranchRow[] } | null {
  if (!rows[0]) return null;
  const branches = rows.filter((r) => r.branchId !== null).map(({ txName: _n, ...b }) => toBranch(b));
  return { name: rows[0].txName, branches: branches.sort(inCreationOrder) };
}

/**
 * Branches in the order they were registered. Sorted here, not by ORDER BY: a sort in MySQL
 * of rows with a JSON column goes through an on-disk temporary table, for a handful of rows,
 * and MariaDB 10.11 crashed freeing exactly that table under load (signal 11 in
 * ha_maria::drop_table from JOIN::cleanup).
 */
export function inCreationOrder(a: BranchRow, b: BranchRow): number {
  const byTime = new Date(a.createdAt).getTime() - new Date(b.createdAt).getTime();
  return byTime || (a.branchId < b.branchId ? -1 : a.branchId > b.branchId ? 1 : 0);
}

export function toBranch(r: BranchRow): BranchRow {
  const payload: unknown = typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload;
  return { ...r, payload, attempts: Number(r.attempts) };
}
