import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { newId, sleep, stopIfAborted } from '@app/core';
import { isRollbackDecided, TccCoordinator, txIdOfBranch } from '@app/tcc';
import { StockChangeFeed } from '../alerts/stock-change-feed';
import { ApplyResult, MysqlFreezeState, RedisStock } from '../gate/redis-stock';
import { RedisRowBuilder } from '../gate/row-builder';
import { SoldOutFlags } from '../gate/sold-out-flags';
import { reconcileRowsTotal } from '../inventory.metrics';
import type { RowKey } from '../inventory.types';
import { FreezeRepository, lineFreezeId } from '../repositories/freeze.repository';
import { StockRepository } from '../repositories/stock.repository';

export type RowResult = 'in_sync' | 'fixed' | 'busy' | 'failed';

export interface ReconcileReport {
  checked: number;
  drifted: number;
  fixed: number;
  /** The first rows found drifted, with Redis `available` before and after the reset. */
  rows?: DriftedRow[];
}

export interface DriftedRow {
  sku: string;
  warehouse: string;
  /** Redis `available` before the reset (null: the row had no value in Redis). */
  before: number | null;
  /** After it: MySQL's available, adjusted for the reservations in flight. */
  after: number;
}

/** How many drifted rows one round's log names; the count covers the rest. */
const DRIFT_ROWS_LOGGED = 10;

/** How long a reset may hold a row's lock; reserves of that row wait meanwhile. */
const LOCK_MS = 3000;
/**
 * A Redis reservation with no MySQL freeze and no TCC transaction after this long belongs to a
 * checkout that died between the gate and `begin` (which follow each other immediately).
 */
const ORPHAN_AFTER_MS = 60_000;
/** Younger reservations are left alone by the dead-reservation check: their try or release is probably under way. */
const SETTLE_MS = 5_000;
const STATE_CODE: Record<string, MysqlFreezeState> = { FROZEN: 'F', CONFIRMED: 'C', RELEASED: 'R' };

/**
 * Resets Redis `available` of a row from MySQL without letting a concurrent checkout oversell
 * or count a unit twice.
 *
 * The difficulty: Redis and MySQL change independently. A reservation is taken in Redis first
 * and frozen in MySQL a moment later; a release commits in MySQL first and reaches Redis a
 * moment later. Copying MySQL's number into Redis would count such in-flight units twice (or
 * not at all). So Redis keeps an index of the reservations it holds, and a reset is:
 *
 *  1. Redis (one script): lock the row and read the index. While locked, new reserves of the
 *     row wait (a few ms), so no reservation appears that step 2 cannot see.
 *  2. MySQL (one REPEATABLE READ snapshot, taken after step 1): the row's available M and the
 *     state of every indexed freeze in that snapshot: absent, FROZEN, CONFIRMED or RELEASED.
 *  3. Redis (one script): available = M adjusted per indexed reservation, by its MySQL state
 *     in the snapshot and its Redis state now:
 *       - absent in MySQL, still held in Redis: its try has not committed yet, M does not count
 *         it but Redis must → subtract it. Unless it can never be frozen: its transaction is
 *         cancelling or cancelled (a late try is refused by the fence; whatever froze after
 *         the snapshot is released again, so M is right as it is), or it has no transaction
 *         ORPHAN_AFTER_MS after the reserve (its checkout died before `begin`). Those are
 *         dropped: marked released in Redis, so their own late release is a no-op;
 *       - FROZEN or CONFIRMED: M counts it already → nothing;
 *       - RELEASED in MySQL but still held in Redis: M has the units back; mark it released
 *         in Redis so the late release is a no-op instead of adding them again;
 *       - released in Redis between steps 1 and 3 while FROZEN in the snapshot: the cancel
 *         committed after the snapshot, so M lacks the units the release gave back → add them.
 *     And per freeze FROZEN in the snapshot that the index does not hold (frozen while Redis
 *     was down, or passed by the gate): M counts it already; Redis adopts it (freeze record
 *     and index entry), so its later release gives the units back instead of nothing. If it was
 *     released in Redis meanwhile (a tombstone, the release found no record), the cancel
 *     committed after the snapshot → add the units, as above.
 *     The value is SET (not incremented), so any release that ran between the steps is
 *     absorbed exactly once. Step 3 checks the lock is still ours; if it expired, nothing changes.
 *
 * Admin operations and restocks do not increment Redis themselves: after their commit they
 * run this same reset for the rows they touched, so there is one way Redis learns about MySQL.
 * Whatever happens, MySQL's conditional UPDATE stays the judge: Redis can only make the gate
 * refuse early, never make MySQL accept an oversell.
 *
 * A reset that changes the value is not always drift: a release committed in MySQL whose Redis
 * step is a moment behind, and a freeze the gate let through and this reset adopts, explain a
 * change. Only what they do not explain is counted and logged as drift (with the rows).
 */
@Injectable()
export class Reconciler implements RedisRowBuilder {
  private readonly logger = new Logger(Reconciler.name);
  private readonly initialising = new Map<string, Promise<RowResult>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly stock: StockRepository,
    private readonly freezes: FreezeRepository,
    private readonly redisStock: RedisStock,
    private readonly flags: SoldOutFlags,
    private readonly coordinator: TccCoordinator,
    private readonly feed: StockChangeFeed,
  ) {}

  /** Every stock row of MySQL, reset in Redis. */
  /** Every row; stops between two rows once `signal` is aborted (the round overran its deadline). */
  async reconcileAll(signal?: AbortSignal): Promise<ReconcileReport> {
    const report: ReconcileReport = { checked: 0, drifted: 0, fixed: 0 };
    let after: RowKey | null = null;
    for (;;) {
      stopIfAborted(signal);
      const keys = await this.stock.findAllKeys(after, 200);
      if (keys.length === 0) break;
      for (const key of keys) {
        stopIfAborted(signal);
        const { result, drift } = await this.resetRow(key, 1000);
        const drifted = drift !== undefined;
        report.checked++;
        if (drifted) report.drifted++;
        if (drifted && report.drifted <= DRIFT_ROWS_LOGGED) (report.rows ??= []).push({ ...key, ...drift });
        // MySQL did not change, but followers re-read the row once to be sure of what they show.
        if (drifted) this.feed.changed([key], 'reconcile');
        if (result === 'fixed') report.fixed++;
      }
      after = keys[keys.length - 1];
    }
    if (report.drifted) this.logger.warn(report, 'Reconciliation found Redis drift');
    return report;
  }

  /** After a MySQL change of the row (admin operation, restock): Redis learns the new value. */
  async syncRow(key: RowKey): Promise<RowResult> {
    const { result } = await this.resetRow(key, 2000);
    if (result === 'busy') {
      this.logger.warn(
        key,
        'Redis stock row stayed locked by another reset; the next reconciliation brings it up to date',
      );
    }
    return result;
  }

  /**
   * The gate found no Redis value for the row: build it once, however many requests ask at once.
   * A row missing in MySQL too becomes 0 in Redis, so it is not looked up again.
   */
  initRow(key: RowKey): Promise<RowResult> {
    const k = `${key.sku}|${key.warehouse}`.toLowerCase();
    let pending = this.initialising.get(k);
    if (!pending) {
      pending = this.resetRow(key, 200)
        .then((r) => r.result)
        .finally(() => this.initialising.delete(k));
      this.initialising.set(k, pending);
    }
    return pending;
  }

  private async resetRow(
    key: RowKey,
    waitForLockMs: number,
  ): Promise<{ result: RowResult; drift?: { before: number | null; after: number } }> {
    if (!this.redisStock.isUp) {
      reconcileRowsTotal.inc({ result: 'failed' });
      return { result: 'failed' };
    }
    const deadline = Date.now() + waitForLockMs;
    try {
      for (;;) {
        const outcome = await this.tryResetRow(key);
        if (outcome !== 'busy') {
          // Drift is what work in flight does not explain: a cancel's own Redis release runs just
          // after its commit, and a reservation the gate let through (row busy, Redis down) is
          // adopted here. Such a row changes value but is not counted, or logged, as drifted.
          const { previous, next, releasing, adopted } = outcome;
          const drifted = previous === null || previous + releasing - adopted !== next;
          reconcileRowsTotal.inc({ result: drifted ? 'fixed' : 'in_sync' });
          if (next > 0 && previous !== next) await this.flags.clear([key]);
          if (!drifted) return { result: 'in_sync' };
          return { result: 'fixed', drift: { before: outcome.previous, after: outcome.next } };
        }
        if (Date.now() >= deadline) {
          reconcileRowsTotal.inc({ result: 'busy' });
          return { result: 'busy' };
        }
        await sleep(10);
      }
    } catch (err) {
      reconcileRowsTotal.inc({ result: 'failed' });
      this.logger.warn({ err, sku: key.sku, warehouse: key.warehouse }, 'Resetting the Redis stock row failed');
      return { result: 'failed' };
    }
  }

  /**
   * Redis reservations that no try can freeze any more (see above), found BEFORE the row is
   * locked so the lock never waits on these queries. Being dead is final (a cancelled tx stays
   * cancelled), so the answer still holds at the snapshot; it is applied only to reservations
   * the snapshot also finds absent from MySQL.
   */
  private async deadReservations(key: RowKey): Promise<Set<string>> {
    const settled = (await this.redisStock.reservationsOf(key)).filter((e) => e.reservedAtMs < Date.now() - SETTLE_MS);
    if (settled.length === 0) return new Set();
    const states = await this.freezes.statesOf(
      this.dataSource.manager,
      settled.map((e) => lineFreezeId(e.freezeId, key.sku)),
    );
    const absent = settled.filter((e) => !states.has(lineFreezeId(e.freezeId, key.sku).toLowerCase()));
    if (absent.length === 0) return new Set();
    const statuses = await this.coordinator.statusesOf(absent.map((e) => txIdOfBranch(e.freezeId)));
    const orphanBefore = Date.now() - ORPHAN_AFTER_MS;
    return new Set(
      absent
        .filter((e) => {
          const status = statuses.get(txIdOfBranch(e.freezeId));
          return isRollbackDecided(status) || (!status && e.reservedAtMs < orphanBefore);
        })
        .map((e) => e.freezeId),
    );
  }

  /** Steps 1-3 above. The MySQL connection is taken before the Redis lock so the lock is held only briefly. */
  private async tryResetRow(key: RowKey): Promise<ApplyResult | 'busy'> {
    const dead = await this.deadReservations(key);
    return this.dataSource.transaction('REPEATABLE READ', async (em) => {
      const token = newId();
      const entries = await this.redisStock.snapshot(key, token, LOCK_MS);
      if (!entries) return 'busy';
      try {
        const row = await this.stock.findRow(key, em);
        const mysqlAvailable = row ? row.onHand - row.reserved : 0;
        const states = await this.freezes.statesOf(
          em,
          entries.map((e) => lineFreezeId(e.freezeId, key.sku)),
        );
        const withStates = entries.map((e) => {
          const state = states.get(lineFreezeId(e.freezeId, key.sku).toLowerCase());
          return { ...e, mysqlState: state ? STATE_CODE[state] : ('A' as const) };
        });
        // FROZEN in MySQL but never held by Redis (frozen while it was down, or passed by the gate)
        const indexed = new Set(entries.map((e) => e.freezeId));
        const adopt = (await this.freezes.frozenOfRow(em, key))
          .filter((f) => !indexed.has(f.branchId))
          .map((f) => ({ freezeId: f.branchId, qty: f.qty }));
        const applied = await this.redisStock.apply(
          key,
          token,
          mysqlAvailable,
          withStates.map((e) =>
            e.mysqlState === 'A' && dead.has(e.freezeId) ? { ...e, mysqlState: 'D' as const } : e,
          ),
          adopt,
        );
        return applied ?? 'busy';
      } catch (err) {
        await this.redisStock.unlock(key, token).catch(() => undefined);
        throw err;
      }
    });
  }
}
