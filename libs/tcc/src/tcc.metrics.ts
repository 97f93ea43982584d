import { counter, gauge, histogram } from '@app/core';

/** Every TCC metric in one place (prom-client's global registry; the helpers dedupe). */
export const tccMetrics = {
  finished: counter({
    name: 'tcc_transactions_total',
    help: 'TCC transactions that reached a final status, by name and status',
    labelNames: ['name', 'status'] as const,
  }),
  branchFailures: counter({
    name: 'tcc_branch_failures_total',
    help: 'Failed branch phases (refused tries, failed confirms/cancels), by participant and phase',
    labelNames: ['participant', 'phase'] as const,
  }),
  retries: counter({
    name: 'tcc_retries_total',
    help: 'Confirm/cancel rounds re-run by the recovery job, by tx name',
    labelNames: ['name'] as const,
  }),
  expired: counter({
    name: 'tcc_expired_total',
    help: 'TRYING transactions rolled back by the recovery job because their deadline passed',
    labelNames: ['name'] as const,
  }),
  flagged: counter({
    name: 'tcc_flagged_total',
    help: 'Transactions that exceeded the retry budget and were flagged for an operator',
    labelNames: ['name'] as const,
  }),
  flaggedPending: gauge({
    name: 'tcc_flagged_pending',
    help: 'Non-terminal transactions currently flagged for an operator (updated by the recovery job)',
  }),
  groupCommitBatch: histogram({
    name: 'tcc_group_commit_batch_size',
    help: 'Members per group-committed local transaction, by phase (try, commit)',
    labelNames: ['phase'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
  }),
  groupCommitSplits: counter({
    name: 'tcc_group_commit_splits_total',
    help: 'Group commits whose summed update was refused, so their members ran one by one',
    labelNames: ['phase'] as const,
  }),
  oldestPendingAge: gauge({
    name: 'tcc_oldest_pending_tx_age_seconds',
    help: 'Age of the oldest non-terminal TCC transaction (updated by the recovery job)',
  }),
};
