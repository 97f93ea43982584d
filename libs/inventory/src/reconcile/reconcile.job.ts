import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig, RedisStatus } from '@app/core';
import { ReconcileReport, Reconciler } from './reconciler';

/**
 * Resets Redis from MySQL every config.inventory.reconcileIntervalMs (only with jobs enabled),
 * and once more whenever Redis comes back (it missed every change made while it was away).
 */
@Injectable()
export class ReconcileJob implements OnApplicationBootstrap {
  private readonly logger = new Logger('ReconcileJob');
  private running?: Promise<ReconcileReport>;

  constructor(
    private readonly reconciler: Reconciler,
    private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly redisStatus: RedisStatus,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.jobsEnabled) return;
    const timer = setInterval(() => void this.runOnce(), this.config.inventory.reconcileIntervalMs);
    this.scheduler.addInterval('inventory-reconcile', timer);
    this.redisStatus.onChange((up) => {
      if (up) void this.runOnce();
    });
  }

  /** One full pass; a call while a pass runs joins it instead of starting another. */
  runOnce(): Promise<ReconcileReport> {
    if (!this.running) {
      this.running = this.reconciler
        .reconcileAll()
        .catch((err: unknown) => {
          this.logger.error({ err }, 'Reconciliation pass failed');
          return { checked: 0, drifted: 0, fixed: 0 };
        })
        .finally(() => (this.running = undefined));
    }
    return this.running;
  }
}
