import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '@app/core';
import { FenceRepository } from '../fence/fence.repository';

const JOB_NAME = 'tcc-fence-cleanup';
const BATCH = 1000;

/**
 * Deletes fence rows of finished transactions after the retention period. A tombstone must
 * outlive any late try, so a fence also stays until its tx's deadline is that long past.
 */
@Injectable()
export class FenceCleanupJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FenceCleanupJob.name);
  private running: Promise<number> | null = null;

  constructor(
    private readonly fences: FenceRepository,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.jobsEnabled) return;
    const timer = setInterval(() => void this.runScheduled(), this.config.tcc.fenceCleanupIntervalMs);
    this.scheduler.addInterval(JOB_NAME, timer);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', JOB_NAME)) this.scheduler.deleteInterval(JOB_NAME);
    await this.running?.catch(() => undefined);
  }

  /** Deletes every expired fence in batches; returns how many. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.fences.deleteExpired(this.config.tcc.fenceRetentionSec, BATCH);
      total += deleted;
      if (deleted < BATCH) break;
    }
    if (total) this.logger.log({ deleted: total }, 'expired TCC fences deleted');
    return total;
  }

  private async runScheduled(): Promise<void> {
    if (this.running) return;
    this.running = this.runOnce();
    try {
      await this.running;
    } catch (err) {
      this.logger.error({ err }, 'fence cleanup failed');
    } finally {
      this.running = null;
    }
  }
}
