import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, JobRounds, RedisStatus } from '@app/core';
import { ReconcileReport, Reconciler } from '../reconcile/reconciler';

const JOB_NAME = 'inventory-reconcile';

/**
 * Resets Redis from MySQL every config.inventory.reconcileIntervalMs (only with jobs enabled),
 * and once more whenever Redis comes back (it missed every change made while it was away).
 * Passes run through JobRounds: never two at once, each with a deadline.
 */
@Injectable()
export class ReconcileJob implements OnApplicationBootstrap {
  private readonly logger = new Logger('ReconcileJob');

  constructor(
    private readonly reconciler: Reconciler,
    private readonly config: AppConfig,
    private readonly rounds: JobRounds,
    private readonly redisStatus: RedisStatus,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.jobsEnabled) return;
    this.rounds.schedule(JOB_NAME, this.config.inventory.reconcileIntervalMs, (signal) => this.reconciler.reconcileAll(signal));
    this.redisStatus.onChange((up) => {
      if (up) void this.runOnce();
    });
  }

  /** One full pass; a call while a pass runs joins it instead of starting another. */
  runOnce(): Promise<ReconcileReport> {
    return this.rounds.run(JOB_NAME, (signal) => this.reconciler.reconcileAll(signal)).catch((err: unknown) => {
      this.logger.error({ err }, 'Reconciliation pass failed');
      return { checked: 0, drifted: 0, fixed: 0 };
    });
  }
}
