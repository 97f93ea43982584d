/** Failed or slow pings in a row that mark Redis down while its connection still looks open. */
export const REDIS_DOWN_AFTER_BAD_PINGS = 3;
/** Good pings in a row that mark it up again without a reconnect. */
export const REDIS_UP_AFTER_GOOD_PINGS = 2;

export interface RedisModeChange {
  up: boolean;
  reason: string;
}

export interface RedisModeThresholds {
  /** A ping answered slower than this counts as failed. */
  slowPingMs: number;
  downAfterBadPings?: number;
  upAfterGoodPings?: number;
}

/**
 * Whether the instance uses Redis, decided with hysteresis so that one slow answer under load
 * does not switch every request to the MySQL-only path: the connection's own events switch at
 * once (lost → down, ready → up), pings only after several in a row. Pure logic: each input
 * returns the change it causes, or null.
 */
export class RedisModeHysteresis {
  private up = false;
  private badPings = 0;
  private goodPings = 0;
  private readonly downAfter: number;
  private readonly upAfter: number;

  constructor(private readonly thresholds: RedisModeThresholds) {
    this.downAfter = thresholds.downAfterBadPings ?? REDIS_DOWN_AFTER_BAD_PINGS;
    this.upAfter = thresholds.upAfterGoodPings ?? REDIS_UP_AFTER_GOOD_PINGS;
  }

  get isUp(): boolean {
    return this.up;
  }

  /** One background ping: its round trip, or null when it failed (`error` says why). */
  pinged(roundTripMs: number | null, error?: string): RedisModeChange | null {
    if (roundTripMs !== null && roundTripMs <= this.thresholds.slowPingMs) {
      this.badPings = 0;
      this.goodPings++;
      return !this.up && this.goodPings >= this.upAfter
        ? this.switchTo(true, `${this.goodPings} good pings in a row`)
        : null;
    }
    this.goodPings = 0;
    this.badPings++;
    if (!this.up || this.badPings < this.downAfter) return null;
    const last = roundTripMs === null ? (error ?? 'no answer') : `${Math.round(roundTripMs)} ms`;
    return this.switchTo(
      false,
      `${this.badPings} pings in a row failed or took over ${this.thresholds.slowPingMs} ms (last: ${last})`,
    );
  }

  /** The client (re)connected and is ready for commands. */
  connectionReady(): RedisModeChange | null {
    return this.switchTo(true, 'connection ready');
  }

  /** The connection closed, ended or failed. */
  connectionLost(reason: string): RedisModeChange | null {
    return this.switchTo(false, reason);
  }

  /** A mode set from outside (tests, an operator); connection events and pings decide again from here. */
  force(up: boolean, reason: string): RedisModeChange | null {
    return this.switchTo(up, reason);
  }

  private switchTo(up: boolean, reason: string): RedisModeChange | null {
    this.badPings = 0;
    this.goodPings = 0;
    if (this.up === up) return null;
    this.up = up;
    return { up, reason };
  }
}
