import { Injectable, Logger } from '@nestjs/common';
import { JobRounds } from '../jobs/job-rounds';
import { PeriodicJob } from '../jobs/periodic-job';
import { IdempotencyStore } from './idempotency.store';

const PURGE_INTERVAL_MS = 10 * 60_000;

/** Deletes durable idempotency records past their retention (Redis expires its copies itself). */
@Injectable()
export class IdempotencyJanitor extends PeriodicJob<number> {
  private readonly logger = new Logger(IdempotencyJanitor.name);

  constructor(
    private readonly store: IdempotencyStore,
    rounds: JobRounds,
  ) {
    super(rounds, 'idempotency-purge');
  }

  /** One purge now (joins a running one); the number of records deleted. */
  purgeExpired(): Promise<number> {
    return this.runRound();
  }

  protected intervalMs(): number {
    return PURGE_INTERVAL_MS;
  }

  protected async round(): Promise<number> {
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
