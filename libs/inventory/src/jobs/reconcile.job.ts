import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, JobRounds, PeriodicJob, RedisStatus } from '@app/core';
import { Reconciler, ReconcileReport } from '../reconcile/reconciler';

const JOB_NAME = 'inventory-reconcile';

/**
 * Resets Redis from MySQL every config.inventory.reconcileIntervalMs (only with jobs enabled),
 * and once more whenever Redis comes back (it missed every change made while it was away).
 */
@Injectable()
export class ReconcileJob extends PeriodicJob<ReconcileReport> {
  private readonly logger = new Logger(ReconcileJob.name);

  constructor(
    private readonly reconciler: Reconciler,
    private readonly config: AppConfig,
    rounds: JobRounds,
    private readonly redisStatus: RedisStatus,
  ) {
    super(rounds, JOB_NAME);
  }

  override onApplicationBootstrap(): void {
    if (!this.config.jobsEnabled) return;
    super.onApplicationBootstrap();
    this.redisStatus.onChange((up) => {
      if (up) void this.runOnce();
    });
  }

  /** One full pass; a call while a pass runs joins it instead of starting another. */
  runOnce(): Promise<ReconcileReport> {
    return this.runRound().catch((err: unknown) => {
      this.logger.error({ err }, 'Reconciliation pass failed');
      return { checked: 0, drifted: 0, fixed: 0 };
    });
  }

  protected intervalMs(): number {
    return this.config.inventory.reconcileIntervalMs;
  }

  protected round(signal: AbortSignal): Promise<ReconcileReport> {
    return this.reconciler.reconcileAll(signal);
  }
}
