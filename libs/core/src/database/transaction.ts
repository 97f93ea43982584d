import type { DataSource, EntityManager } from 'typeorm';
import { sleep } from '../async/poll';

const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

export function isRetryableTxError(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return RETRYABLE.has(e?.code ?? '') || RETRYABLE.has(e?.driverError?.code ?? '');
}

/** A duplicate-key error; with `key`, only one on that unique key (the message names it). */
export function isDuplicateKeyError(err: unknown, key?: string): boolean {
  const e = err as { code?: string; message?: string; driverError?: { code?: string; message?: string } };
  const dup = e?.code === 'ER_DUP_ENTRY' || e?.driverError?.code === 'ER_DUP_ENTRY';
  return dup && (key === undefined || `${e.message ?? ''} ${e.driverError?.message ?? ''}`.includes(`'${key}'`));
}

/** Raw connections that already run READ COMMITTED for the whole session. */
const readCommittedSessions = new WeakSet<object>();

/**
 * Runs `work` in one local transaction (READ COMMITTED), retrying the whole unit when InnoDB
 * picks it as a deadlock victim: the victim's changes were rolled back, so running it again is
 * safe. The isolation level is set once per pooled connection, not once per transaction.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (em: EntityManager, afterCommit: (fn: () => unknown) => void) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    // Metrics and events of this attempt: run once it committed, dropped with a rolled-back one.
    const callbacks: Array<() => unknown> = [];
    try {
      const result = await runOnce(dataSource, (em) => work(em, (fn) => callbacks.push(fn)));
      for (const fn of callbacks)
        await Promise.resolve()
          .then(fn)
          .catch(() => undefined);
      return result;
    } catch (err) {
      if (attempt >= attempts || !isRetryableTxError(err)) throw err;
      await sleep(5 * attempt + Math.random() * 20);
    }
  }
}

async function runOnce<T>(dataSource: DataSource, work: (em: EntityManager) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    const connection = (await runner.connect()) as object;
    if (!readCommittedSessions.has(connection)) {
      await runner.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
      readCommittedSessions.add(connection);
    }
    await runner.startTransaction();
    try {
      const result = await work(runner.manager);
      await runner.commitTransaction();
      return result;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    }
  } finally {
    await runner.release();
  }
}

/** Affected-row count of a raw UPDATE/INSERT/DELETE run through `em.query`. */
export function affectedRows(result: unknown): number {
  const r = result as { affectedRows?: number } | [unknown, number] | undefined;
  if (Array.isArray(r))
    return typeof r[1] === 'number' ? r[1] : Number((r[0] as { affectedRows?: number })?.affectedRows ?? 0);
  return Number(r?.affectedRows ?? 0);
}
