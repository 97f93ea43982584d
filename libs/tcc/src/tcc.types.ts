import type { CancelReason } from './participant';

export const TX_STATUSES = ['TRYING', 'CONFIRMING', 'CONFIRMED', 'CANCELLING', 'CANCELLED'] as const;
export type TxStatus = (typeof TX_STATUSES)[number];

/** The transaction has ended: every branch is confirmed, or every branch is cancelled. */
export function isTerminal(status: string | undefined): boolean {
  return status === 'CONFIRMED' || status === 'CANCELLED';
}
/** Commit has won the compare-and-set: the confirms run, or have run. */
export function isCommitDecided(status: string | undefined): boolean {
  return status === 'CONFIRMING' || status === 'CONFIRMED';
}
/** Rollback has won the compare-and-set: the cancels run, or have run. */
export function isRollbackDecided(status: string | undefined): boolean {
  return status === 'CANCELLING' || status === 'CANCELLED';
}

export type BranchStatus = 'TRYING' | 'TRIED' | 'TRY_FAILED' | 'CONFIRMED' | 'CANCELLED';

/** What commit / rollback report: where the transaction stands now. */
export interface TxOutcome {
  txId: string;
  status: TxStatus;
}

export interface BeginOptions {
  /** What the transaction does, e.g. 'checkout' or 'refund' (1-64 chars). */
  name: string;
  /** Caller-chosen id (e.g. a ULID generated before the Redis gate); a ULID by default. */
  txId?: string;
  /** Deadline relative to now (default 60 s) ... */
  timeoutMs?: number;
  /** ... or absolute. After it, tryBranch is refused and the recovery job rolls the tx back. */
  deadlineAt?: Date;
}

export interface TryBranchOptions {
  /** Distinguishes two branches of one participant in one tx: branchId `<txId>:<participant>:<key>`. */
  key?: string;
}

export interface BranchView {
  branchId: string;
  participant: string;
  status: BranchStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TxView {
  txId: string;
  name: string;
  status: TxStatus;
  deadlineAt: Date;
  nextRetryAt: Date | null;
  retryCount: number;
  lastError: string | null;
  cancelReason: CancelReason | null;
  /** Set once the tx exceeded config.tcc.alertAfterAttempts retries: an operator should look. */
  flaggedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  branches: BranchView[];
}
