import { performance } from 'perf_hooks';

export interface Pingable {
  ping(): Promise<unknown>;
}

export interface RedisPingerOptions {
  /** Pause between the end of one ping and the start of the next. */
  intervalMs: number;
  /** A ping not answered within this is reported as failed without waiting longer. */
  slowPingMs: number;
}

/**
 * Pings Redis in the background, one ping at a time, and reports each round trip (null for a
 * failed or unanswered ping). Its timers never keep the process alive, and `stop` clears them.
 */
export class RedisPinger {
  private running = false;
  private next?: NodeJS.Timeout;
  private deadline?: NodeJS.Timeout;

  constructor(
    private readonly target: Pingable,
    private readonly report: (roundTripMs: number | null, error?: string) => void,
    private readonly options: RedisPingerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduleNext();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.next);
    clearTimeout(this.deadline);
  }

  private scheduleNext(): void {
    this.next = setTimeout(() => void this.pingOnce(), this.options.intervalMs);
    this.next.unref();
  }

  private async pingOnce(): Promise<void> {
    const { roundTripMs, error } = await this.measure();
    if (!this.running) return;
    this.report(roundTripMs, error);
    this.scheduleNext();
  }

  private measure(): Promise<{ roundTripMs: number | null; error?: string }> {
    return new Promise((resolve) => {
      const started = performance.now();
      // Local, not this.deadline: a late answer must not clear the deadline of a later ping.
      const deadline = setTimeout(
        () => resolve({ roundTripMs: null, error: `no answer within ${this.options.slowPingMs} ms` }),
        this.options.slowPingMs,
      );
      deadline.unref();
      this.deadline = deadline;
      Promise.resolve()
        .then(() => this.target.ping())
        .then(
          () => {
            clearTimeout(deadline);
            resolve({ roundTripMs: performance.now() - started });
          },
          (err: unknown) => {
            clearTimeout(deadline);
            resolve({ roundTripMs: null, error: err instanceof Error ? err.message : String(err) });
          },
        );
    });
  }
}
