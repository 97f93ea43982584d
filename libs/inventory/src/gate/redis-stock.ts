import { Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig, InjectRedis, RedisStatus } from '@app/core';
import type { RowKey } from '../inventory.types';
import { APPLY_LUA, COMMIT_LUA, RELEASE_LUA, RESERVE_LUA, SNAPSHOT_LUA, UNLOCK_LUA } from './stock-scripts';

export type ReserveCode = 'RESERVED' | 'INSUFFICIENT' | 'MISSING' | 'RELEASED' | 'BUSY';

export interface SnapshotEntry {
  freezeId: string;
  qty: number;
  reservedAtMs: number;
}

/** The freeze in the MySQL snapshot: A absent, F FROZEN, C CONFIRMED, R RELEASED; D absent for good. */
export type MysqlFreezeState = 'A' | 'F' | 'C' | 'R' | 'D';

export interface ApplyResult {
  /** Redis `available` before the reset; null when the row had none. */
  previous: number | null;
  next: number;
  /** Units released in MySQL whose Redis release was still to come: `previous` lacked them, rightly. */
  releasing: number;
  /** Units of freezes MySQL holds that the gate let through without holding: `previous` counted them as available. */
  adopted: number;
}

/** The scripts as commands on the client (ioredis sends EVALSHA, loading the script once per connection). */
interface StockScripts {
  invReserve(...args: Array<string | number>): Promise<[number, number]>;
  invRelease(...args: Array<string | number>): Promise<number>;
  invCommit(...args: Array<string | number>): Promise<number>;
  invSnapshot(...args: Array<string | number>): Promise<Array<number | string>>;
  invApply(...args: Array<string | number>): Promise<number[]>;
  invUnlock(...args: Array<string | number>): Promise<number>;
}

const CODES: Record<number, ReserveCode> = {
  1: 'RESERVED',
  0: 'INSUFFICIENT',
  [-1]: 'MISSING',
  [-2]: 'RELEASED',
  [-3]: 'BUSY',
};

/**
 * Key names of one stock row; the {sku:warehouse} hash tag keeps them in one cluster slot.
 * Lower-cased: MySQL compares skus and warehouse codes without case (utf8mb4_unicode_ci, and
 * both are ASCII), so `A-1`/`main` and `a-1`/`MAIN` are one row and must be one Redis counter,
 * whichever spelling a caller or the stock row itself uses.
 */
export function rowKeys(key: RowKey) {
  const base = `inv:{${key.sku.toLowerCase()}:${key.warehouse.toLowerCase()}}`;
  return {
    stock: base,
    index: `${base}:r`,
    lock: `${base}:lock`,
    freeze: (freezeId: string) => `${base}:f:${freezeId}`,
  };
}

/**
 * The only class that talks to Redis about stock: typed calls of the Lua scripts in
 * stock-scripts.ts. ioredis adds the configured key prefix to every KEYS entry.
 */
@Injectable()
export class RedisStock {
  private readonly scripts: StockScripts;
  /** Freeze records outlive any transaction: the longest payment deadline plus a day. */
  readonly freezeTtlSec: number;

  constructor(
    @InjectRedis() private readonly redis: Redis,
    private readonly status: RedisStatus,
    config: AppConfig,
  ) {
    const defs = {
      invReserve: RESERVE_LUA,
      invRelease: RELEASE_LUA,
      invCommit: COMMIT_LUA,
      invSnapshot: SNAPSHOT_LUA,
      invApply: APPLY_LUA,
      invUnlock: UNLOCK_LUA,
    };
    for (const [name, lua] of Object.entries(defs)) {
      if (!(name in redis)) redis.defineCommand(name, { lua });
    }
    this.scripts = redis as unknown as StockScripts;
    this.freezeTtlSec = config.order.paymentTimeoutSec + 86400;
  }

  /** False while the connection is down: callers take the MySQL-only path without waiting. */
  get isUp(): boolean {
    return this.status.isUp;
  }

  async reserve(key: RowKey, freezeId: string, qty: number): Promise<{ code: ReserveCode; available: number }> {
    const k = rowKeys(key);
    const [code, available] = await this.scripts.invReserve(
      4,
      k.stock,
      k.index,
      k.lock,
      k.freeze(freezeId),
      qty,
      this.freezeTtlSec,
      freezeId,
      Date.now(),
    );
    return { code: CODES[Number(code)], available: Number(available) };
  }

  /** Idempotent: gives the units of a reservation back once; records a release that came first. */
  async release(key: RowKey, freezeId: string): Promise<number> {
    const k = rowKeys(key);
    return Number(await this.scripts.invRelease(3, k.stock, k.index, k.freeze(freezeId), freezeId, this.freezeTtlSec));
  }

  async markCommitted(key: RowKey, freezeId: string): Promise<void> {
    const k = rowKeys(key);
    await this.scripts.invCommit(2, k.index, k.freeze(freezeId), freezeId, this.freezeTtlSec);
  }

  /** The reservations Redis holds for the row (no lock: a hint for reconciliation). */
  async reservationsOf(key: RowKey): Promise<SnapshotEntry[]> {
    const all = await this.redis.hgetall(rowKeys(key).index);
    return Object.entries(all).map(([freezeId, v]) => toEntry(freezeId, v));
  }

  /** Locks the row for a reset and lists its Redis-held reservations; null if another reset holds it. */
  async snapshot(key: RowKey, token: string, lockMs: number): Promise<SnapshotEntry[] | null> {
    const k = rowKeys(key);
    const raw = await this.scripts.invSnapshot(2, k.lock, k.index, token, lockMs);
    if (Number(raw[0]) !== 1) return null;
    const entries: SnapshotEntry[] = [];
    for (let i = 1; i + 1 < raw.length; i += 2) entries.push(toEntry(String(raw[i]), String(raw[i + 1])));
    return entries;
  }

  /**
   * Sets the row's `available` from MySQL; null when the lock was lost meanwhile (nothing
   * changed). `adopt`: freezes FROZEN in MySQL that Redis does not hold; it starts holding them.
   */
  async apply(
    key: RowKey,
    token: string,
    mysqlAvailable: number,
    entries: Array<SnapshotEntry & { mysqlState: MysqlFreezeState }>,
    adopt: Array<{ freezeId: string; qty: number }> = [],
  ): Promise<ApplyResult | null> {
    const k = rowKeys(key);
    const keys = [
      k.stock,
      k.index,
      k.lock,
      ...entries.map((e) => k.freeze(e.freezeId)),
      ...adopt.map((a) => k.freeze(a.freezeId)),
    ];
    const args: Array<string | number> = [token, mysqlAvailable, this.freezeTtlSec, entries.length, Date.now()];
    for (const e of entries) args.push(e.freezeId, e.mysqlState, e.qty);
    for (const a of adopt) args.push(a.freezeId, a.qty);
    const out = await this.scripts.invApply(keys.length, ...keys, ...args);
    if (Number(out[0]) !== 1) return null;
    return {
      previous: Number(out[1]) === 1 ? Number(out[2]) : null,
      next: Number(out[3]),
      releasing: Number(out[4]),
      adopted: Number(out[5]),
    };
  }

  async unlock(key: RowKey, token: string): Promise<void> {
    await this.scripts.invUnlock(1, rowKeys(key).lock, token);
  }
}

/** Index values are "<qty>:<reservedAtMs>". */
function toEntry(freezeId: string, value: string): SnapshotEntry {
  const [qty, at] = value.split(':');
  return { freezeId, qty: Number(qty), reservedAtMs: Number(at) };
}
