import { OnApplicationBootstrap } from '@nestjs/common';
import { JobRounds } from './job-rounds';

/**
 * The one shape of a scheduled job. Every `intervalMs()` (with JOBS_ENABLED) it runs `round`
 * through JobRounds: never two rounds of one job at once, each with a deadline, and shutdown
 * waits for the running one. `runRound()` is the same round on demand (tests, operators, an
 * event): it joins a running round instead of starting a second one.
 */
export abstract class PeriodicJob<T> implements OnApplicationBootstrap {
  protected constructor(
    protected readonly rounds: JobRounds,
    private readonly jobName: string,
  ) {}

  /** Read at bootstrap, so it may come from config. */
  protected abstract intervalMs(): number;

  /** One round; checks `signal` between steps (stopIfAborted) and stops once its deadline passed. */
  protected abstract round(signal: AbortSignal): Promise<T>;

  onApplicationBootstrap(): void {
    this.rounds.schedule(this.jobName, this.intervalMs(), (signal) => this.round(signal));
  }

  protected runRound(): Promise<T> {
    return this.rounds.run(this.jobName, (signal) => this.round(signal));
  }
}
