import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, JobRounds, PeriodicJob, stopIfAborted } from '@app/core';
import { FenceRepository } from '../fence/fence.repository';
import { TransactionPurgeRepository } from '../repositories/transaction-purge.repository';

const JOB_NAME = 'tcc-fence-cleanup';
const BATCH = 1000;

/**
 * Deletes fence rows of finished transactions after the retention period. A tombstone must
 * outlive any late try, so a fence also stays until its tx's deadline is that long past. Then
 * it deletes finished transactions (and their branch rows) after their own retention, but only
 * once no fence of theirs is left: the fence cleanup finds its fences through the tx row, and a
 * late try of a purged tx finds no tx to register with (404), so it can hold nothing.
 * Both in bounded batches, each its own statement.
 */
@Injectable()
export class FenceCleanupJob extends PeriodicJob<{ fences: number; transactions: number }> {
  private readonly logger = new Logger(FenceCleanupJob.name);

  constructor(
    private readonly fences: FenceRepository,
    private readonly transactions: TransactionPurgeRepository,
    rounds: JobRounds,
    private readonly config: AppConfig,
  ) {
    super(rounds, JOB_NAME);
  }

  /** One round now (tests, operators; joins a running one); returns the fences deleted. */
  async runOnce(): Promise<number> {
    return (await this.runRound()).fences;
  }

  /** One round now; returns the finished transactions purged. */
  async purgeOnce(): Promise<number> {
    return (await this.runRound()).transactions;
  }

  protected intervalMs(): number {
    return this.config.tcc.fenceCleanupIntervalMs;
  }

  protected async round(signal: AbortSignal): Promise<{ fences: number; transactions: number }> {
    const { fenceRetentionSec, txRetentionSec } = this.config.tcc;
    const fences = await inBatches(signal, () => this.fences.deleteExpired(fenceRetentionSec, BATCH));
    const transactions = await inBatches(signal, () => this.transactions.purgeFinished(txRetentionSec, BATCH));
    if (fences) this.logger.log({ deleted: fences }, 'expired TCC fences deleted');
    if (transactions) this.logger.log({ purged: transactions }, 'finished TCC transactions purged');
    return { fences, transactions };
  }
}

async function inBatches(signal: AbortSignal, deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    stopIfAborted(signal);
    const deleted = await deleteBatch();
    total += deleted;
    if (deleted < BATCH) return total;
  }
}
