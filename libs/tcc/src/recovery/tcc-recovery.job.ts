import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, JobRounds, PeriodicJob } from '@app/core';
import { leaseOwnerId } from '../coordinator/lease-owner';
import { TransactionDriver } from '../coordinator/transaction-driver';
import { TransactionQueries } from '../repositories/transaction-queries';
import { TransactionRepository, TxRow } from '../repositories/transaction.repository';
import { tccMetrics } from '../tcc.metrics';

const JOB_NAME = 'tcc-recovery';

/**
 * Drives every hanging transaction to an end: rolls back TRYING txs past their deadline
 * (reason EXPIRED) and retries CONFIRMING/CANCELLING ones whose backoff has elapsed. Work is
 * claimed with a lease, so any number of instances can run this at once without two of them
 * working on one tx.
 */
@Injectable()
export class TccRecoveryJob extends PeriodicJob<number> {
  private readonly logger = new Logger(TccRecoveryJob.name);

  constructor(
    private readonly transactions: TransactionRepository,
    private readonly queries: TransactionQueries,
    private readonly driver: TransactionDriver,
    rounds: JobRounds,
    private readonly config: AppConfig,
  ) {
    super(rounds, JOB_NAME);
  }

  /** One round now (joins a running one); how many txs it drove. */
  runOnce(): Promise<number> {
    return this.runRound();
  }

  protected intervalMs(): number {
    return this.config.tcc.recoveryIntervalMs;
  }

  /**
   * One round: claim a batch of due txs, drive each, update the gauges. Returns how many it
   * drove. Each lease is renewed just before its tx is worked: one that ran out meanwhile and was
   * claimed by another worker is skipped, so two workers never work one tx at once however long
   * the batch takes. Once `signal` is aborted (the round's deadline passed) it drives no further
   * tx and hands the rest back.
   */
  protected async round(signal: AbortSignal): Promise<number> {
    const owner = leaseOwnerId('recovery');
    const claimed = await this.transactions.claimDue(owner, this.config.tcc.leaseMs, this.config.tcc.batchSize);
    let driven = 0;
    for (const [i, tx] of claimed.entries()) {
      if (signal.aborted) {
        // hand the rest back at once rather than when their lease runs out
        await Promise.all(claimed.slice(i).map((t) => this.transactions.releaseLease(t.txId, owner)));
        break;
      }
      if (!(await this.transactions.renewLease(tx.txId, owner, this.config.tcc.leaseMs))) continue;
      await this.recoverClaimed(tx, owner);
      driven++;
    }
    await this.updateGauges();
    if (claimed.length) this.logger.debug({ claimed: claimed.length, driven }, 'recovery round done');
    return driven;
  }

  /**
   * Operator "retry now": claims this tx if it has recovery work (ignoring its backoff, never
   * someone else's lease) and drives it. False when there was nothing to claim.
   */
  async recoverNow(txId: string): Promise<boolean> {
    const owner = leaseOwnerId('operator');
    const tx = await this.transactions.claimOne(txId, owner, this.config.tcc.leaseMs);
    if (!tx) return false;
    await this.recoverClaimed(tx, owner);
    return true;
  }

  private async recoverClaimed(tx: TxRow, owner: string): Promise<void> {
    try {
      if (tx.status === 'TRYING') {
        if (!(await this.transactions.expire(tx.txId, owner))) {
          // A commit or rollback won meanwhile; it drives the tx itself.
          await this.transactions.releaseLease(tx.txId, owner);
          return;
        }
        tccMetrics.expired.inc({ name: tx.name });
        this.logger.log(
          { txId: tx.txId, name: tx.name, deadlineAt: tx.deadlineAt },
          'transaction expired: rolling back',
        );
      } else {
        tccMetrics.retries.inc({ name: tx.name });
        this.logger.log(
          { txId: tx.txId, name: tx.name, status: tx.status, retryCount: tx.retryCount },
          'retrying transaction',
        );
      }
      await this.driver.completeBranches(tx.txId, owner);
    } catch (err) {
      // The lease runs out by itself; the next round tries again.
      this.logger.error({ txId: tx.txId, err }, 'recovery of transaction failed');
    }
  }

  private async updateGauges(): Promise<void> {
    const stats = await this.queries.pendingStats();
    tccMetrics.oldestPendingAge.set(stats.oldestAgeSec);
    tccMetrics.flaggedPending.set(stats.flagged);
  }
}
