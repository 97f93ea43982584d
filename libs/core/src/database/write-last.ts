import type { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from './transaction';

/** Thrown by a `writeRowLast` attempt whose row changed between its read and its write. */
export class RowMoved extends Error {
  constructor() {
    super('the row moved between its read and its write');
  }
}

/** Reads that may find their row moved before the write; the attempt after them reads it locked. */
const OPTIMISTIC_ATTEMPTS = 5;

/**
 * Runs `attempt` in one local transaction that reads a hot row, decides, writes everything
 * else, and writes the row LAST as a compare-and-set on the version it read, so the row's
 * lock is held for that statement and the COMMIT only. A row that moved in between (the
 * attempt throws `RowMoved`) rolls the attempt back and it runs again; after
 * OPTIMISTIC_ATTEMPTS the attempt is told to read `locked` (FOR UPDATE), so it cannot lose
 * to a busy row forever. `onRetry` counts the attempts run again.
 */
export async function writeRowLast<T>(
  dataSource: DataSource,
  attempt: (em: EntityManager, locked: boolean, afterCommit: (fn: () => unknown) => void) => Promise<T>,
  onRetry: () => void,
): Promise<T> {
  for (let n = 1; ; n++) {
    const locked = n > OPTIMISTIC_ATTEMPTS;
    try {
      return await inTransaction(dataSource, (em, afterCommit) => attempt(em, locked, afterCommit));
    } catch (err) {
      if (!(err instanceof RowMoved) || locked) throw err;
      onRetry();
    }
  }
}
