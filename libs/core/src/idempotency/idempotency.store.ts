import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { affectedRows } from '../database/transaction';
import { DomainError } from '../errors/domain-error';
import { newId } from '../ids/new-id';
import { InjectRedis, RedisStatus } from '../redis/redis.module';
import type { IdempotencyClaim } from './idempotency-claim';
import { EPOCH_MARKER, IdempotencyEpoch, idempotencyRedisKey, isCompleteMarker } from './idempotency-epoch';
import { UnusedKeyBatch } from './unused-key-batch';

export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

export type BeginOutcome =
  | {
      kind: 'acquired';
      via: AcquiredVia;
      attemptId: string | null;
      /** Redis cannot vouch that the key is new: a route whose own rows guard it must look there. */
      keyMayBeUsed: boolean;
    }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in_flight' };

/** Where the in-flight marker of an acquired key lives (what `abandon` must free). */
export type AcquiredVia = 'redis' | 'mysql' | 'both';

interface Entry {
  /** USED: written by a rebuild (IdempotencyEpoch); the key was used, its answer is in MySQL. */
  state: 'IN_FLIGHT' | 'DONE' | 'USED';
  hash: string;
  statusCode?: number;
  body?: unknown;
}

/** How long an in-flight marker protects a request before another attempt may take over. */
const IN_FLIGHT_MS = 60_000;

/**
 * Where idempotency records live. Redis answers the look-up (no MySQL round trip on the
 * hot path); MySQL keeps the durable copy of every response that changed state, and
 * serves alone while Redis is down.
 */
@Injectable()
export class IdempotencyStore {
  private readonly logger = new Logger(IdempotencyStore.name);
  private readonly unusedKeys: UnusedKeyBatch;

  constructor(
    @InjectRedis() private readonly redis: Redis,
    private readonly redisStatus: RedisStatus,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly epoch: IdempotencyEpoch,
  ) {
    this.unusedKeys = new UnusedKeyBatch(redis);
  }

  private redisKey(scope: string, key: string): string {
    return idempotencyRedisKey(scope, key);
  }

  async begin(scope: string, key: string, hash: string, lookupDurable: boolean): Promise<BeginOutcome> {
    if (this.redisStatus.isUp) {
      try {
        return await this.beginInRedis(scope, key, hash, lookupDurable);
      } catch (err) {
        this.logger.warn({ err }, 'Redis idempotency look-up failed; using MySQL');
      }
    }
    return this.beginInMysql(scope, key, hash);
  }

  private async beginInRedis(scope: string, key: string, hash: string, lookupDurable: boolean): Promise<BeginOutcome> {
    const rkey = this.redisKey(scope, key);
    const marker = JSON.stringify({ state: 'IN_FLIGHT', hash } satisfies Entry);
    // Sent together (the client pipelines commands of one tick): one round trip.
    const [set, epoch] = await Promise.all([
      this.redis.set(rkey, marker, 'PX', IN_FLIGHT_MS, 'NX'),
      this.redis.get(EPOCH_MARKER),
    ]);
    if (set === 'OK') {
      const recordsComplete = this.epoch.recordsComplete && isCompleteMarker(epoch);
      return this.acquiredInRedis(scope, key, hash, lookupDurable, !recordsComplete);
    }
    const raw = await this.redis.get(rkey);
    if (!raw) return this.beginInRedis(scope, key, hash, lookupDurable);
    const entry = JSON.parse(raw) as Entry;
    if (entry.state !== 'USED') return this.compare(entry, hash);
    // Used before Redis lost its record: the route's durable guard answers. Two retries racing
    // here may both proceed; that guard (a unique key) still lets only one change happen.
    await this.redis.set(rkey, marker, 'PX', IN_FLIGHT_MS);
    return this.acquiredInRedis(scope, key, hash, lookupDurable, true);
  }

  private async acquiredInRedis(
    scope: string,
    key: string,
    hash: string,
    lookupDurable: boolean,
    keyMayBeUsed: boolean,
  ): Promise<BeginOutcome> {
    if (!lookupDurable) return { kind: 'acquired', via: 'redis', attemptId: null, keyMayBeUsed };
    const rkey = this.redisKey(scope, key);
    // Redis may have lost the record (flush, failover), even while the first request still
    // runs, or that request may have started on MySQL while Redis was down: MySQL decides.
    const durable = await this.beginInMysql(scope, key, hash).catch(async (err: unknown) => {
      await this.redis.del(rkey).catch(() => undefined); // no stale marker blocking the retry
      throw err;
    });
    if (durable.kind === 'acquired') return { ...durable, via: 'both' };
    if (durable.kind === 'replay') {
      const entry: Entry = {
        state: 'DONE',
        hash,
        statusCode: durable.response.statusCode,
        body: durable.response.body,
      };
      await this.redis.set(rkey, JSON.stringify(entry), 'EX', this.config.idempotencyTtlSec);
    } else {
      await this.redis.del(rkey); // our marker must not stand in for the request that holds the key
    }
    return durable;
  }

  /**
   * True only when Redis is up, holds no record of this key (no response to replay, no request
   * in flight) and vouches that it knows every used key (IdempotencyEpoch). Any doubt (Redis
   * down or failing, records being rebuilt) is false, so the caller takes the full path.
   */
  isUnused(scope: string, key: string): Promise<boolean> {
    if (!this.redisStatus.isUp || !this.epoch.recordsComplete) return Promise.resolve(false);
    return this.unusedKeys.isUnused(this.redisKey(scope, key));
  }

  private compare(entry: Entry, hash: string): BeginOutcome {
    if (entry.hash !== hash) return { kind: 'mismatch' };
    if (entry.state === 'IN_FLIGHT') return { kind: 'in_flight' };
    return { kind: 'replay', response: { statusCode: entry.statusCode!, body: entry.body } };
  }

  private async beginInMysql(scope: string, key: string, hash: string): Promise<BeginOutcome> {
    const attemptId = newId();
    const inserted = affectedRows(
      await this.dataSource.query(
        `INSERT IGNORE INTO idempotency_record (scope, idem_key, request_hash, attempt_id, state, created_at, expires_at)
         VALUES (?, ?, ?, ?, 'IN_FLIGHT', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) + INTERVAL ? SECOND)`,
        [scope, key, hash, attemptId, this.config.idempotencyTtlSec],
      ),
    );
    if (inserted === 1) return { kind: 'acquired', via: 'mysql', attemptId, keyMayBeUsed: true };
    // Take over a marker left by a crashed attempt, or an expired record.
    const takenOver = affectedRows(
      await this.dataSource.query(
        `UPDATE idempotency_record SET request_hash = ?, attempt_id = ?, state = 'IN_FLIGHT', status_code = NULL, response_body = NULL,
                created_at = UTC_TIMESTAMP(3), expires_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND
          WHERE scope = ? AND idem_key = ?
            AND ((state = 'IN_FLIGHT' AND created_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND) OR expires_at < UTC_TIMESTAMP(3))`,
        [hash, attemptId, this.config.idempotencyTtlSec, scope, key, IN_FLIGHT_MS / 1000],
      ),
    );
    if (takenOver === 1) return { kind: 'acquired', via: 'mysql', attemptId, keyMayBeUsed: true };
    const entry = await this.readMysql(scope, key);
    if (!entry) return this.beginInMysql(scope, key, hash);
    return this.compare(entry, hash);
  }

  private async readMysql(scope: string, key: string): Promise<Entry | undefined> {
    const rows: Array<{
      request_hash: string;
      state: Entry['state'];
      status_code: number | null;
      response_body: unknown;
    }> = await this.dataSource.query(
      `SELECT request_hash, state, status_code, response_body FROM idempotency_record
          WHERE scope = ? AND idem_key = ? AND expires_at >= UTC_TIMESTAMP(3)`,
      [scope, key],
    );
    const row = rows[0];
    if (!row) return undefined;
    const body: unknown = typeof row.response_body === 'string' ? JSON.parse(row.response_body) : row.response_body;
    return { state: row.state, hash: row.request_hash, statusCode: row.status_code ?? undefined, body };
  }

  /**
   * Records the response of a request that changed state: in MySQL first (durable), then
   * Redis. `durable` false: the route's own rows are the durable guard, Redis alone answers.
   */
  async complete(scope: string, key: string, hash: string, response: StoredResponse, durable = true): Promise<void> {
    const ttl = this.config.idempotencyTtlSec;
    if (durable) await this.completeDurable(scope, key, hash, response);
    const entry: Entry = { state: 'DONE', hash, statusCode: response.statusCode, body: response.body };
    await this.redis.set(this.redisKey(scope, key), JSON.stringify(entry), 'EX', ttl).catch(() => {
      // The early refusal trusts Redis alone to know every used key: it no longer does.
      this.epoch.recordLost();
    });
  }

  private async completeDurable(scope: string, key: string, hash: string, response: StoredResponse): Promise<void> {
    const ttl = this.config.idempotencyTtlSec;
    // The state change already committed: failing to record it must not turn the response into
    // an error (the client would retry and apply it twice). Keep whichever copy we can write.
    await this.dataSource
      .query(
        `INSERT INTO idempotency_record (scope, idem_key, request_hash, state, status_code, response_body, created_at, expires_at)
         VALUES (?, ?, ?, 'DONE', ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) + INTERVAL ? SECOND)
         ON DUPLICATE KEY UPDATE request_hash = VALUES(request_hash), state = 'DONE', status_code = VALUES(status_code),
           response_body = VALUES(response_body), expires_at = VALUES(expires_at)`,
        [scope, key, hash, response.statusCode, JSON.stringify(response.body ?? null), ttl],
      )
      .catch((err: unknown) =>
        this.logger.error({ err, scope, key }, 'could not store the durable idempotency record'),
      );
  }

  /**
   * The durable record written inside the route's own transaction (see IdempotencyClaim): it
   * commits with the change or not at all. Finding another attempt's hold (ours was taken over
   * after the in-flight window) fails the transaction, so the change is not applied twice.
   */
  async completeIn(em: EntityManager, claim: IdempotencyClaim, response: StoredResponse): Promise<void> {
    const body = JSON.stringify(response.body ?? null);
    const ttl = this.config.idempotencyTtlSec;
    if (!claim.attemptId) {
      await em.query(
        `INSERT INTO idempotency_record (scope, idem_key, request_hash, state, status_code, response_body, created_at, expires_at)
         VALUES (?, ?, ?, 'DONE', ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) + INTERVAL ? SECOND)`,
        [claim.scope, claim.key, claim.hash, response.statusCode, body, ttl],
      );
      return;
    }
    const recorded = affectedRows(
      await em.query(
        `UPDATE idempotency_record SET state = 'DONE', status_code = ?, response_body = ?, expires_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND
          WHERE scope = ? AND idem_key = ? AND attempt_id = ? AND state = 'IN_FLIGHT'`,
        [response.statusCode, body, ttl, claim.scope, claim.key, claim.attemptId],
      ),
    );
    if (recorded !== 1) {
      throw DomainError.conflict('A later attempt with this Idempotency-Key took over; this one changed nothing');
    }
  }

  /** A refused or failed request changed nothing: free the key so a retry is evaluated again. */
  async abandon(scope: string, key: string, via: AcquiredVia): Promise<void> {
    if (via !== 'mysql') await this.redis.del(this.redisKey(scope, key)).catch(() => undefined);
    if (via === 'redis') return;
    await this.dataSource
      .query(`DELETE FROM idempotency_record WHERE scope = ? AND idem_key = ? AND state = 'IN_FLIGHT'`, [scope, key])
      .catch(() => undefined);
  }

  /** Drops records past their retention. */
  async purgeExpired(limit = 5000): Promise<number> {
    return affectedRows(
      await this.dataSource.query(`DELETE FROM idempotency_record WHERE expires_at < UTC_TIMESTAMP(3) LIMIT ?`, [
        limit,
      ]),
    );
  }
}
