import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { counter, gauge } from '../metrics/metrics';
import { RedisModeChange, RedisModeHysteresis } from './redis-mode';

const redisUp = gauge({ name: 'redis_up', help: '1 while this instance uses Redis, 0 while it runs MySQL-only' });
const redisModeChangesTotal = counter({
  name: 'redis_mode_changes_total',
  help: 'Switches of this instance between using Redis (up) and the MySQL-only path (down)',
  labelNames: ['to'] as const,
});

/**
 * Whether this instance uses Redis, so callers can pick the MySQL-only path without waiting on
 * a dead connection. Decided by the connection's events and the background ping (see
 * RedisModeHysteresis), never by a reader such as /health. Logs one line and counts once per
 * change, never per request.
 */
@Injectable()
export class RedisStatus {
  private readonly logger = new Logger(RedisStatus.name);
  private readonly mode: RedisModeHysteresis;
  private readonly listeners: Array<(up: boolean) => void> = [];
  private reason?: string = 'not connected yet';

  constructor(config: AppConfig) {
    this.mode = new RedisModeHysteresis({ slowPingMs: config.redis.pingSlowMs });
  }

  get isUp(): boolean {
    return this.mode.isUp;
  }

  /** Why Redis is not used, while it is not. */
  get downReason(): string | undefined {
    return this.isUp ? undefined : this.reason;
  }

  onChange(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
  }

  connectionReady(): void {
    this.apply(this.mode.connectionReady());
  }

  connectionLost(reason: string): void {
    this.apply(this.mode.connectionLost(reason));
  }

  pinged(roundTripMs: number | null, error?: string): void {
    this.apply(this.mode.pinged(roundTripMs, error));
  }

  /** Sets the mode by hand (tests); the connection's events and pings decide again from here. */
  set(up: boolean, reason = 'set by hand'): void {
    this.apply(this.mode.force(up, reason));
  }

  private apply(change: RedisModeChange | null): void {
    if (!change) return;
    this.reason = change.reason;
    redisUp.set(change.up ? 1 : 0);
    redisModeChangesTotal.inc({ to: change.up ? 'up' : 'down' });
    if (change.up) this.logger.log(`Redis is up (${change.reason}): fast path enabled`);
    else this.logger.warn(`Redis is down (${change.reason}): falling back to the MySQL-only path`);
    for (const listener of this.listeners) listener(change.up);
  }
}
