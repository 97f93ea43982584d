import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { newId } from '../ids/new-id';
import { counter } from '../metrics/metrics';
import { InjectRedis, RedisStatus } from '../redis/redis.module';

/** A key whose durable guard is the route's own rows (checkout: the order's unique user + key). */
export interface UsedKey {
  scope: string;
  key: string;
  usedAt: Date;
}

/** Lists the keys a route used since a time, a page at a time, so Redis can learn them again. */
export interface UsedKeySource {
  forEachPage(since: Date, onPage: (keys: UsedKey[]) => Promise<void>): Promise<void>;
}

const MARKER = 'idem-epoch';
const COMPLETE = 'complete';

/** Read with a request's own record, in the same round trip: a flush is seen at once. */
export const EPOCH_MARKER = MARKER;
/** The marker's value while Redis knows every used key. */
export const EPOCH_COMPLETE = COMPLETE;
export const isCompleteMarker = (value: string | null): boolean => value === COMPLETE;
const REBUILD_LEASE_MS = 30_000;
/** The value a rebuild writes for a used key: "used, the answer is in MySQL". */
export const USED_ENTRY = '{"state":"USED"}';

const rebuildsTotal = counter({
  name: 'idempotency_rebuilds_total',
  help: 'Rebuilds of the Redis idempotency records from MySQL',
});

/** Completes the marker only if it is still our rebuild's lease (a reset meanwhile starts over). */
const COMPLETE_IF_OURS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2]) end return false`;

/**
 * Whether Redis holds a record of every key used within the idempotency TTL, so that "no
 * record" means "never used" and a refusal can be answered without MySQL.
 *
 * A marker key says so. It disappears with a flush or a restart; this instance deletes it when
 * a record write failed, when Redis evicted keys, or when the server changed (failover). Whoever
 * then finds it missing rebuilds: every source's keys used within the TTL are written back as
 * `USED`, and the marker is set again. Until then callers treat every key as possibly used.
 */
@Injectable()
export class IdempotencyEpoch implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencyEpoch.name);
  private readonly sources: UsedKeySource[] = [];
  private complete = false;
  private resetPending = false;
  private server?: { runId: string; evicted: number };
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;

  constructor(
    @InjectRedis() private readonly redis: Redis,
    private readonly status: RedisStatus,
    private readonly config: AppConfig,
  ) {
    status.onChange((up) => {
      if (!up) this.complete = false;
    });
  }

  addSource(source: UsedKeySource): void {
    this.sources.push(source);
  }

  /** True when a key Redis has no record of was never used. */
  get recordsComplete(): boolean {
    return this.complete && !this.resetPending && this.status.isUp;
  }

  /** A record could not be written: Redis no longer knows every used key. */
  recordLost(): void {
    this.complete = false;
    this.resetPending = true;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.config.redis.pingIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }

  /** One round at a time; a rebuild may span many intervals. */
  check(): Promise<void> {
    this.round ??= this.checkOnce().finally(() => (this.round = undefined));
    return this.round;
  }

  private async checkOnce(): Promise<void> {
    if (!this.status.isUp) return;
    try {
      if (await this.serverLostKeys()) this.resetPending = true;
      if (this.resetPending) {
        await this.redis.del(MARKER);
        this.resetPending = false;
      }
      const marker = await this.redis.get(MARKER);
      this.complete = marker === COMPLETE;
      if (marker === null) await this.rebuild();
    } catch (err) {
      this.complete = false;
      this.logger.warn({ err }, 'could not check the idempotency records');
    }
  }

  /** Evictions or another server (failover) since the last look: records may be gone. */
  private async serverLostKeys(): Promise<boolean> {
    const info = await this.redis.info();
    const runId = /run_id:(\w+)/.exec(info)?.[1] ?? '';
    const evicted = Number(/evicted_keys:(\d+)/.exec(info)?.[1] ?? 0);
    const before = this.server;
    this.server = { runId, evicted };
    return !!before && (before.runId !== runId || evicted > before.evicted);
  }

  private async rebuild(): Promise<void> {
    const lease = `rebuilding:${newId()}`;
    if ((await this.redis.set(MARKER, lease, 'PX', REBUILD_LEASE_MS, 'NX')) !== 'OK') return;
    const started = Date.now();
    const ttlMs = this.config.idempotencyTtlSec * 1000;
    let keys = 0;
    for (const source of this.sources) {
      await source.forEachPage(new Date(started - ttlMs), async (page) => {
        await this.redis.pexpire(MARKER, REBUILD_LEASE_MS);
        const writes = this.redis.pipeline();
        for (const used of page) {
          const ttlSec = Math.ceil((used.usedAt.getTime() + ttlMs - Date.now()) / 1000);
          if (ttlSec > 0) writes.set(idempotencyRedisKey(used.scope, used.key), USED_ENTRY, 'EX', ttlSec, 'NX');
        }
        await writes.exec();
        keys += page.length;
      });
    }
    const done = await this.redis.eval(COMPLETE_IF_OURS, 1, MARKER, lease, COMPLETE);
    this.complete = done === 'OK';
    rebuildsTotal.inc();
    this.logger.log(
      { keys, ms: Date.now() - started, complete: this.complete },
      'idempotency records rebuilt from MySQL',
    );
  }
}

/** Where Redis keeps the record of one key. */
export function idempotencyRedisKey(scope: string, key: string): string {
  return `idem:{${scope}}:${key}`;
}

/** The scope of a storefront user's keys. */
export function userScope(userId: string): string {
  return `u:${userId}`;
}
