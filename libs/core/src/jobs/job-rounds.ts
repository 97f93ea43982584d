import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { counter } from '../metrics/metrics';

/** One round of a job. It checks `signal` between steps and stops once it is aborted (its deadline passed). */
export type JobRound<T> = (signal: AbortSignal) => Promise<T>;

const abandoned = counter({
  name: 'job_rounds_abandoned_total',
  help: 'Job rounds abandoned at their deadline',
  labelNames: ['job'],
});

interface Running {
  promise: Promise<unknown>;
  controller: AbortController;
}

/**
 * Runs the rounds of the scheduled jobs: one round of a job at a time (a tick while one runs is
 * skipped, a direct call joins it), each with a deadline. A round past its deadline is aborted,
 * logged and counted, and no longer holds the job: it stops at its next step (between two
 * statements, never in the middle of one), so a round stuck in one await cannot stop the job
 * for good. On shutdown the timers stop first, then the running rounds are awaited (each no
 * longer than its deadline) while the database is still open.
 */
@Injectable()
export class JobRounds implements BeforeApplicationShutdown {
  private readonly logger = new Logger(JobRounds.name);
  private readonly running = new Map<string, Running>();
  private readonly names = new Set<string>();
  private stopped = false;

  constructor(
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
  ) {}

  /** Runs `round` every `intervalMs` (only with JOBS_ENABLED). */
  schedule(name: string, intervalMs: number, round: JobRound<unknown>): void {
    if (!this.config.jobsEnabled) return;
    const timer = setInterval(() => {
      if (!this.running.has(name)) void this.run(name, round).catch(() => undefined);
    }, intervalMs);
    this.scheduler.addInterval(name, timer);
    this.names.add(name);
  }

  /**
   * One round now, or the running one's outcome (a round past its deadline no longer counts as
   * running). Rejects when the round fails or is abandoned; resolves with its result otherwise.
   */
  run<T>(name: string, round: JobRound<T>, deadlineMs = this.config.jobRoundDeadlineMs): Promise<T> {
    const current = this.running.get(name);
    if (current) return current.promise as Promise<T>;
    if (this.stopped) return Promise.reject(new Error(`job ${name} stopped: the application is shutting down`));
    const controller = new AbortController();
    const promise = this.withDeadline(name, round(controller.signal), controller, deadlineMs);
    const entry = { promise, controller };
    this.running.set(name, entry);
    const clear = () => {
      if (this.running.get(name) === entry) this.running.delete(name);
    };
    promise.then(clear, (err: unknown) => {
      clear();
      if (!controller.signal.aborted) this.logger.error({ job: name, err }, 'job round failed');
    });
    return promise;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const name of this.names) if (this.scheduler.doesExist('interval', name)) this.scheduler.deleteInterval(name);
    await Promise.allSettled([...this.running.values()].map((r) => r.promise));
  }

  private withDeadline<T>(name: string, work: Promise<T>, controller: AbortController, deadlineMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        abandoned.inc({ job: name });
        this.logger.warn(
          { job: name, deadlineMs },
          'job round overran its deadline: abandoned, the next round may run',
        );
        reject(new Error(`job ${name}: round abandoned after ${deadlineMs}ms`));
      }, deadlineMs);
    });
    // the abandoned round's own outcome no longer matters (it stops at its next step)
    work.catch(() => undefined);
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }
}

/** Throws once the round's deadline passed, so a loop stops between two steps. */
export function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error('job round abandoned');
}
