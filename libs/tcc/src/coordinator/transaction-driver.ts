import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/core';
import { FencedBranchRunner } from '../fence/fenced-branch.runner';
import type { BranchContext } from '../participant';
import { ParticipantRegistry } from '../participants/participant.registry';
import { BranchRepository } from '../repositories/branch.repository';
import { BranchRow, TransactionRepository, TxRow } from '../repositories/transaction.repository';
import { TccNotices } from '../tcc-notices';
import { tccMetrics } from '../tcc.metrics';
import { isCommitDecided, isTerminal, type TxStatus } from '../tcc.types';
import { backoffDelayMs } from './backoff';

/** A branch whose confirm or cancel (or afterCancel) failed in a one-transaction attempt of this round. */
export interface FailedBranch {
  branchId: string;
  phase: 'confirm' | 'cancel';
  error: unknown;
}

/**
 * Second phase: confirms (or cancels) every branch of a CONFIRMING (or CANCELLING) tx whose
 * lease the caller holds, then marks it CONFIRMED (CANCELLED), or, if any branch failed,
 * schedules the next attempt with capped exponential backoff and frees the lease.
 * Used by commit/rollback right after they win, and by the recovery job.
 */
@Injectable()
export class TransactionDriver {
  private readonly logger = new Logger(TransactionDriver.name);

  constructor(
    private readonly transactions: TransactionRepository,
    private readonly branches: BranchRepository,
    private readonly runner: FencedBranchRunner,
    private readonly participants: ParticipantRegistry,
    private readonly config: AppConfig,
    private readonly notices: TccNotices,
  ) {}

  /**
   * `failedThisRound`: branches whose phase already failed in this round (in a one-transaction
   * attempt): counted and recorded as failed, not run again until the next round.
   */
  async completeBranches(
    txId: string,
    leaseOwner: string,
    failedThisRound: FailedBranch[] = [],
  ): Promise<TxStatus | null> {
    const tx = await this.transactions.findTransaction(txId);
    if (!tx) return null;
    // Only a decided tx that is not finished has a second phase to run.
    if (tx.status === 'TRYING' || isTerminal(tx.status)) {
      await this.transactions.releaseLease(txId, leaseOwner);
      return tx.status;
    }
    const errors = await this.runSecondPhase(tx, failedThisRound);
    if (errors.length === 0) return this.finish(tx);
    return this.scheduleRetry(tx, leaseOwner, errors);
  }

  /** Every branch is attempted even if an earlier one failed, so the others make progress. */
  private async runSecondPhase(tx: TxRow, failedThisRound: FailedBranch[]): Promise<string[]> {
    const confirming = isCommitDecided(tx.status);
    const branches = await this.branches.branchesOf(tx.txId);
    // Cancel in reverse order of the tries, like unwinding a stack.
    const todo = confirming
      ? branches.filter((b) => b.status !== 'CONFIRMED' && b.status !== 'CANCELLED')
      : branches.filter((b) => b.status !== 'CANCELLED').reverse();
    const errors: string[] = [];
    for (const branch of todo) {
      // A refused try is rolled back (empty) so it can't be retried late, unless its fence shows
      // that a concurrent retry of it succeeded: that one is confirmed (runConfirmOrAbandon).
      const phase = !confirming ? 'cancel' : branch.status === 'TRY_FAILED' ? 'settle' : 'confirm';
      const failed = failedThisRound.find((f) => f.branchId === branch.branchId);
      const error = failed
        ? await this.recordFailure(tx, branch, failed.phase, failed.error)
        : await this.runBranch(tx, branch, phase);
      if (error) errors.push(error);
    }
    return errors;
  }

  /** Returns the error text, or null on success. */
  private async runBranch(
    tx: TxRow,
    branch: BranchRow,
    phase: 'confirm' | 'cancel' | 'settle',
  ): Promise<string | null> {
    const ctx: BranchContext = { txId: tx.txId, branchId: branch.branchId, txName: tx.name };
    if (phase !== 'confirm') ctx.cancelReason = tx.cancelReason ?? 'USER';
    try {
      const handler = this.participants.require(branch.participant);
      const result =
        phase === 'confirm'
          ? await this.runner.runConfirm(handler, ctx, branch.payload)
          : phase === 'settle'
            ? await this.runner.runConfirmOrAbandon(handler, ctx, branch.payload)
            : await this.runner.runCancel(handler, ctx, branch.payload);
      this.logger.debug({ txId: tx.txId, branchId: branch.branchId, result }, `branch ${phase}`);
      return null;
    } catch (err) {
      return this.recordFailure(tx, branch, phase, err);
    }
  }

  private async recordFailure(tx: TxRow, branch: BranchRow, phase: string, err: unknown): Promise<string> {
    const message = `${branch.participant} ${phase}: ${errorText(err)}`.slice(0, 1000);
    tccMetrics.branchFailures.inc({ participant: branch.participant, phase });
    this.logger.warn({ txId: tx.txId, branchId: branch.branchId, err }, `branch ${phase} failed`);
    await this.branches.recordBranchFailure(branch.branchId, message).catch(() => undefined);
    return message;
  }

  private async finish(tx: TxRow): Promise<TxStatus> {
    const from = tx.status as 'CONFIRMING' | 'CANCELLING';
    const to: TxStatus = from === 'CONFIRMING' ? 'CONFIRMED' : 'CANCELLED';
    if (await this.transactions.finish(tx.txId, from)) {
      tccMetrics.finished.inc({ name: tx.name, status: to });
      this.logger.log(
        { txId: tx.txId, name: tx.name, status: to, cancelReason: tx.cancelReason ?? undefined },
        'transaction finished',
      );
      return to;
    }
    return (await this.transactions.findTransaction(tx.txId))?.status ?? to;
  }

  private async scheduleRetry(tx: TxRow, leaseOwner: string, errors: string[]): Promise<TxStatus> {
    const { backoffBaseMs, backoffMaxMs, alertAfterAttempts } = this.config.tcc;
    const attempt = tx.retryCount + 1;
    const flag = attempt >= alertAfterAttempts;
    // once flagged, an operator is on it: keep retrying, but only at the cap
    const delayMs = backoffDelayMs(flag ? Number.MAX_SAFE_INTEGER : attempt, backoffBaseMs, backoffMaxMs);
    const from = tx.status as 'CONFIRMING' | 'CANCELLING';
    const scheduled = await this.transactions.scheduleRetry(
      tx.txId,
      from,
      leaseOwner,
      delayMs,
      errors.join('; ').slice(0, 1000),
      flag,
    );
    if (scheduled && flag) {
      if (!tx.flaggedAt) tccMetrics.flagged.inc({ name: tx.name });
      if (!tx.flaggedAt)
        this.notices.flagged({ txId: tx.txId, name: tx.name, status: from, attempts: attempt, lastError: errors[0] });
      this.logger.warn(
        { txId: tx.txId, name: tx.name, status: from, attempts: attempt, lastError: errors[0] },
        'transaction keeps failing: flagged for an operator, retrying at the backoff cap',
      );
    }
    return from;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
