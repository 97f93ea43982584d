import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { IdempotencyStore } from './idempotency.store';

const PURGE_INTERVAL_MS = 10 * 60_000;

/** Deletes durable idempotency records past their retention (Redis expires its copies itself). */
@Injectable()
export class IdempotencyJanitor implements OnApplicationBootstrap {
  private readonly logger = new Logger('IdempotencyJanitor');

  constructor(
    private readonly store: IdempotencyStore,
    private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.jobsEnabled) return;
    const timer = setInterval(() => void this.purgeExpired(), PURGE_INTERVAL_MS);
    this.scheduler.addInterval('idempotency-purge', timer);
  }

  async purgeExpired(): Promise<number> {
    try {
      const purged = await this.store.purgeExpired();
      if (purged) this.logger.log({ purged }, 'purged expired idempotency records');
      return purged;
    } catch (err) {
      this.logger.warn({ err }, 'idempotency purge failed; will retry');
      return 0;
    }
  }
}
