import type { EntityManager } from 'typeorm';
import { affectedRows } from '@app/core';
import { coalesceInserts } from './coalesce-inserts';

/** Writes one sum to its hot row: a conditional UPDATE that throws (a DomainError) to refuse. */
export type ApplySum = (em: EntityManager, total: number) => Promise<void>;

/**
 * What a participant may defer to the end of the local transaction it runs in. Several
 * global transactions can share one local transaction (group commit): a hot row is then
 * updated ONCE for the sum of their amounts, as the last statement before COMMIT, so its
 * lock is held for that statement and the commit only.
 */
export interface LocalUnit {
  /**
   * Adds `amount` to the sum called `name`. After every member's work, `apply(em, total)` runs
   * once per name, in name order (a fixed lock order). A refusal fails every member that
   * added to it; the group is then re-run one member per local transaction.
   */
  addToSum(name: string, amount: number, apply: ApplySum): void;
  /** Runs once the local transaction committed (never if it rolled back): metrics, logs, events. */
  afterCommit(fn: () => unknown): void;
  /**
   * Runs once if this work is finally refused: never for an attempt that is run again (a
   * deadlock retry, a group split into one member per transaction). For refusal metrics.
   */
  afterRefusal(fn: () => unknown): void;
  /**
   * Queues a statement whose only result is success or failure (an INSERT of new rows). The
   * queued statements of a member go to MySQL together, in one round trip, after its work and
   * before the sums; `onError` may return the refusal a failure means (a duplicate key).
   */
  write(sql: string, params: unknown[], onError?: (err: unknown) => Error | undefined): void;
  /**
   * Queues ONE conditional statement that must change exactly `rows` rows; if it does not, the
   * local transaction fails with `mismatch()` (a DomainError refuses, as a try may). For a
   * decision nothing later in the member depends on, so it can travel with the writes.
   */
  expect(sql: string, params: unknown[], rows: number, mismatch: () => Error): void;
}

export interface QueuedWrite {
  /** No semicolon inside a statement: they separate the statements of one entry. */
  sql: string;
  params: unknown[];
  onError?: (err: unknown) => Error | undefined;
  expect?: { rows: number; mismatch: () => Error };
}

/** One member's deferred work; dropped with the member if its work fails. */
export class MemberUnit implements LocalUnit {
  readonly sums = new Map<string, { amount: number; apply: ApplySum }>();
  readonly callbacks: Array<() => unknown> = [];
  readonly refusals: Array<() => unknown> = [];
  readonly writes: QueuedWrite[] = [];

  write(sql: string, params: unknown[], onError?: (err: unknown) => Error | undefined): void {
    this.writes.push({ sql, params, onError });
  }

  expect(sql: string, params: unknown[], rows: number, mismatch: () => Error): void {
    this.writes.push({ sql, params, expect: { rows, mismatch } });
  }

  addToSum(name: string, amount: number, apply: ApplySum): void {
    const sum = this.sums.get(name);
    if (sum) sum.amount += amount;
    else this.sums.set(name, { amount, apply });
  }

  afterCommit(fn: () => unknown): void {
    this.callbacks.push(fn);
  }

  afterRefusal(fn: () => unknown): void {
    this.refusals.push(fn);
  }
}

/** Runs the refusal callbacks of the attempt that was final (they only count, so failures are ignored). */
export function runAfterRefusal(unit: MemberUnit): void {
  for (const fn of unit.refusals.splice(0)) {
    try {
      fn();
    } catch {
      /* a metric must not change the outcome */
    }
  }
}

/** A refusal metric: counted once the refusal is final (with a unit), or now (without one). */
export function countRefusal(local: LocalUnit | undefined, count: () => unknown): void {
  if (local) local.afterRefusal(count);
  else count();
}

/**
 * Sends a member's queued writes as one multi-statement round trip (then `suffix`, e.g. the
 * next member's SAVEPOINT), plain INSERTs into one table merged into one (`coalesceInserts`). MySQL stops at the first failing statement without saying which, so each
 * write's `onError` must recognise its own error (a duplicate key on its table) and return the
 * refusal to throw instead, or nothing.
 */
export async function flushWrites(em: EntityManager, unit: MemberUnit, suffix?: string): Promise<void> {
  const writes = unit.writes.splice(0);
  const merged = coalesceInserts(writes);
  const statements = [...merged.map((w) => w.sql.trim()), ...(suffix ? [suffix] : [])];
  if (statements.length === 0) return;
  let results: unknown;
  try {
    results = await em.query(
      statements.join(';\n'),
      merged.flatMap((w) => w.params),
    );
  } catch (err) {
    for (const w of writes) {
      const mapped = w.onError?.(err);
      if (mapped) throw mapped;
    }
    throw err;
  }
  checkExpectations(merged, results);
}

/** Every `expect` entry changed its number of rows (results: one per statement, in order). */
export function checkExpectations(writes: QueuedWrite[], results: unknown): void {
  if (!writes.some((w) => w.expect)) return;
  const perStatement = Array.isArray(results) && !isRowSet(results) ? results : [results];
  let index = 0;
  for (const w of writes) {
    if (w.expect && affectedRows(perStatement[index]) !== w.expect.rows) throw w.expect.mismatch();
    index += w.sql.split(';').length;
  }
}

/** A single SELECT's rows (an array of objects) rather than one result per statement. */
function isRowSet(results: unknown[]): boolean {
  return (
    results.length > 0 &&
    !Array.isArray(results[0]) &&
    typeof (results[0] as { affectedRows?: unknown }).affectedRows !== 'number'
  );
}

/** Applies the sums of these members, one UPDATE per name, in name order. */
export async function applySums(em: EntityManager, units: MemberUnit[]): Promise<void> {
  const totals = new Map<string, { amount: number; apply: ApplySum }>();
  for (const unit of units) {
    for (const [name, sum] of unit.sums) {
      const total = totals.get(name);
      if (total) total.amount += sum.amount;
      else totals.set(name, { ...sum });
    }
  }
  for (const name of [...totals.keys()].sort()) {
    const { amount, apply } = totals.get(name)!;
    await apply(em, amount);
  }
}

/** Runs a committed member's callbacks; one failing never stops the others or undoes the commit. */
export async function runAfterCommit(unit: MemberUnit, onError: (err: unknown) => void): Promise<void> {
  for (const fn of unit.callbacks) {
    try {
      await fn();
    } catch (err) {
      onError(err);
    }
  }
}

/**
 * For participant code that may also run outside a coordinator's local unit (a test calling a
 * handler with its own `em`): defer to the unit when there is one, else apply right away.
 */
export async function addToSumOrApply(
  em: EntityManager,
  local: LocalUnit | undefined,
  name: string,
  amount: number,
  apply: ApplySum,
): Promise<void> {
  if (local) local.addToSum(name, amount, apply);
  else await apply(em, amount);
}

/** Queues an expected-count statement in the unit, or runs and checks it now on `em` when there is none. */
export async function expectOrRun(
  em: EntityManager,
  local: LocalUnit | undefined,
  sql: string,
  params: unknown[],
  rows: number,
  mismatch: () => Error,
): Promise<void> {
  if (local) return local.expect(sql, params, rows, mismatch);
  if (affectedRows(await em.query(sql, params)) !== rows) throw mismatch();
}

/** Queues a plain write in the unit, or runs it now on `em` when there is none. */
export async function writeOrRun(
  em: EntityManager,
  local: LocalUnit | undefined,
  sql: string,
  params: unknown[],
  onError?: (err: unknown) => Error | undefined,
): Promise<void> {
  if (local) return local.write(sql, params, onError);
  try {
    await em.query(sql, params);
  } catch (err) {
    throw onError?.(err) ?? err;
  }
}

/**
 * After-commit work, or, without a unit (the caller owns the transaction and its commit), the
 * `inTransaction` alternative run right away on the caller's `em`: work on another connection
 * could wait for a lock this transaction holds.
 */
export async function afterLocalCommit(
  em: EntityManager,
  local: LocalUnit | undefined,
  afterCommit: () => unknown,
  inTransaction: (em: EntityManager) => unknown = afterCommit,
): Promise<void> {
  if (local) local.afterCommit(afterCommit);
  else await inTransaction(em);
}
