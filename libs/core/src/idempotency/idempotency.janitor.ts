import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JobRounds } from '../jobs/job-rounds';
import { IdempotencyStore } from './idempotency.store';

const PURGE_INTERVAL_MS = 10 * 60_000;

/** Deletes durable idempotency records past their retention (Redis expires its copies itself). */
@Injectable()
export class IdempotencyJanitor implements OnApplicationBootstrap {
  private readonly logger = new Logger('IdempotencyJanitor');

  constructor(
    private readonly store: IdempotencyStore,
    private readonly rounds: JobRounds,
  ) {}

  onApplicationBootstrap(): void {
    this.rounds.schedule('idempotency-purge', PURGE_INTERVAL_MS, () => this.purgeExpired());
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
