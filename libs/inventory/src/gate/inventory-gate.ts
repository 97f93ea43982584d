import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DomainError, RedisStatus, sleep } from '@app/core';
import { CatalogueCache } from '@app/product';
import { StockChangeFeed } from '../alerts/stock-change-feed';
import { insufficientStock } from '../inventory.errors';
import { validLines } from '../inventory.lines';
import { gateMode, gatePassThroughTotal, reservationsTotal } from '../inventory.metrics';
import { RowKey, sortedLines, StockLine } from '../inventory.types';
import { RedisStock } from './redis-stock';
import { RedisRowBuilder } from './row-builder';
import { SoldOutFlags } from './sold-out-flags';

/** How long a reserve waits for a row that reconciliation is resetting before it leaves the decision to MySQL. */
const BUSY_WAIT_MS = 250;
const MAX_REMEMBERED_REFUSALS = 10_000;

type LineOutcome = { kind: 'reserved' } | { kind: 'passed' } | { kind: 'refused'; available: number; reason: string };

/**
 * Levels 1 and 2 of the stock gate, in front of the MySQL freeze (level 3, the truth):
 *  1. the in-process sold-out flag refuses without any round trip;
 *  2. the Redis Lua check-and-reserve refuses without touching MySQL.
 * Checkout calls `reserve` before it begins the TCC transaction, with freezeId `<txId>:inventory`;
 * the inventory participant's cancel releases it (`releaseFreeze`), its confirm marks it
 * committed. With Redis down every request passes to MySQL, which stays correct on its own.
 */
@Injectable()
export class InventoryGate implements OnModuleInit {
  private readonly logger = new Logger(InventoryGate.name);
  private readonly soldOutRefusals = new Map<string, DomainError>();
  private redisErrored = false;

  constructor(
    private readonly flags: SoldOutFlags,
    private readonly redisStock: RedisStock,
    private readonly rowBuilder: RedisRowBuilder,
    private readonly catalogue: CatalogueCache,
    private readonly redisStatus: RedisStatus,
    private readonly feed: StockChangeFeed,
  ) {}

  onModuleInit(): void {
    gateMode.set(this.redisStatus.isUp ? 1 : 0);
    // RedisStatus logs and counts each change (redis_mode_changes_total); the gauge only mirrors it here.
    this.redisStatus.onChange((up) => gateMode.set(up ? 1 : 0));
  }

  /**
   * Reserves every line in Redis or refuses them all with INSUFFICIENT_STOCK (no MySQL round
   * trip). Idempotent per freezeId; a reserve after the freeze's release is refused. An unknown
   * warehouse is NOT_FOUND (skus are checked by checkout, which prices them first).
   */
  async reserve(freezeId: string, warehouse: string, lines: StockLine[]): Promise<void> {
    const sorted = sortedLines(validLines(lines));
    await this.catalogue.requireWarehouse(warehouse);
    const soldOut = this.soldOutRefusal(warehouse, sorted);
    if (soldOut) throw soldOut;
    if (this.redisStock.isUp) await this.reserveInRedis(freezeId, warehouse, sorted);
    else gatePassThroughTotal.inc({ reason: 'redis_down' });
    // Admitted: warm what the MySQL try will need, while no transaction holds a connection.
    await this.catalogue.warm(sorted.map((l) => l.sku));
  }

  /**
   * Level 1 alone, from memory: the INSUFFICIENT_STOCK refusal when a line's row is flagged
   * sold out, else null; counted as a refusal. Lines need not be validated.
   */
  soldOutRefusal(warehouse: string, lines: ReadonlyArray<{ sku: string; qty: number }>): DomainError | null {
    const refusal = this.peekSoldOut(warehouse, lines);
    if (refusal) this.countSoldOutRefusal(refusal);
    return refusal;
  }

  /**
   * The same question without counting: for a caller that may still not refuse (checkout's
   * early refusal replays an earlier response instead). It counts with `countSoldOutRefusal`.
   */
  peekSoldOut(warehouse: string, lines: ReadonlyArray<{ sku: string; qty: number }>): DomainError | null {
    const line = lines.find((l) => this.flags.isSoldOut({ sku: l.sku, warehouse }));
    if (!line) return null;
    // A flood asks for the same few refusals: build each once (errors are never changed after).
    const id = `${warehouse}\u0000${line.sku}\u0000${line.qty}`;
    let refusal = this.soldOutRefusals.get(id);
    if (!refusal) {
      if (this.soldOutRefusals.size >= MAX_REMEMBERED_REFUSALS) this.soldOutRefusals.clear();
      this.soldOutRefusals.set(id, (refusal = insufficientStock(line.sku, warehouse, line.qty)));
    }
    return refusal;
  }

  /** A refusal from `peekSoldOut` was the answer. */
  countSoldOutRefusal(refusal: DomainError): void {
    const { sku, warehouse, requested } = refusal.details as { sku: string; warehouse: string; requested: number };
    reservationsTotal.inc({ outcome: 'refused', level: 'memory' });
    this.feed.refused({ sku, warehouse }, requested);
  }

  /** Gives the Redis reservation of every line back (idempotent; also records a release that came first). */
  async releaseFreeze(freezeId: string, warehouse: string, skus: string[]): Promise<void> {
    if (!this.redisStock.isUp) return; // reconciliation repairs Redis once it is back
    const cleared: RowKey[] = [];
    for (const sku of skus) {
      const key = { sku, warehouse };
      try {
        if ((await this.redisStock.release(key, freezeId)) > 0) cleared.push(key);
      } catch (err) {
        this.logger.warn({ err, freezeId, sku }, 'Redis release failed; reconciliation will repair the row');
      }
    }
    if (cleared.length) await this.flags.clear(cleared);
  }

  /** The freeze was committed in MySQL: its Redis reservation is final (available is unchanged). */
  async markCommitted(freezeId: string, warehouse: string, skus: string[]): Promise<void> {
    if (!this.redisStock.isUp) return;
    for (const sku of skus) {
      await this.redisStock
        .markCommitted({ sku, warehouse }, freezeId)
        .catch((err: unknown) =>
          this.logger.warn({ err, freezeId, sku }, 'Redis commit mark failed; reconciliation will repair the row'),
        );
    }
  }

  private async reserveInRedis(freezeId: string, warehouse: string, sorted: StockLine[]): Promise<void> {
    const reserved: string[] = [];
    for (const line of sorted) {
      const key = { sku: line.sku, warehouse };
      let outcome: LineOutcome;
      try {
        outcome = await this.reserveLine(key, freezeId, line.qty);
        this.noteRedisWorked();
      } catch (err) {
        // Redis failed mid-request: MySQL decides this and the remaining lines.
        this.noteRedisFailed(err);
        gatePassThroughTotal.inc({ reason: 'redis_error' });
        return;
      }
      if (outcome.kind === 'refused') {
        if (reserved.length) await this.releaseFreeze(freezeId, warehouse, reserved);
        if (outcome.available <= 0) this.flags.markSoldOut(key);
        reservationsTotal.inc({ outcome: 'refused', level: 'redis' });
        this.feed.refused(key, line.qty);
        throw insufficientStock(line.sku, warehouse, line.qty, { reason: outcome.reason });
      }
      if (outcome.kind === 'reserved') reserved.push(line.sku);
    }
    reservationsTotal.inc({ outcome: 'admitted', level: 'redis' });
  }

  private async reserveLine(key: RowKey, freezeId: string, qty: number): Promise<LineOutcome> {
    const busyUntil = Date.now() + BUSY_WAIT_MS;
    let initialised = false;
    for (;;) {
      const { code, available } = await this.redisStock.reserve(key, freezeId, qty);
      switch (code) {
        case 'RESERVED':
          return { kind: 'reserved' };
        case 'INSUFFICIENT':
          return { kind: 'refused', available, reason: 'insufficient' };
        case 'RELEASED':
          return { kind: 'refused', available: 1, reason: 'already released' };
        case 'MISSING':
          // Built from MySQL once. A row MySQL does not have either (a sku never received here)
          // is written as 0 available: the negative answer later checkouts get from Redis (and
          // the sold-out flag) without MySQL, until an inbound, transfer or stocktake syncs it.
          if (!initialised) {
            initialised = true;
            await this.rowBuilder.initRow(key);
            continue;
          }
          gatePassThroughTotal.inc({ reason: 'key_missing' });
          return { kind: 'passed' };
        case 'BUSY':
          if (Date.now() < busyUntil) {
            await sleep(3);
            continue;
          }
          gatePassThroughTotal.inc({ reason: 'row_busy' });
          return { kind: 'passed' };
      }
    }
  }

  private noteRedisFailed(err: unknown): void {
    if (this.redisErrored) return;
    this.redisErrored = true;
    this.logger.warn({ err }, 'Redis gate call failed: passing reservations to MySQL until it answers again');
  }

  private noteRedisWorked(): void {
    if (!this.redisErrored) return;
    this.redisErrored = false;
    this.logger.log('Redis gate calls succeed again');
  }
}
