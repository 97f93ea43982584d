import type { DataSource } from 'typeorm';

/** No connection could be had in time (pool saturated, or MySQL not answering): answered as 503. */
export class DatabaseBusyError extends Error {
  readonly code = 'DB_POOL_BUSY';
}

type Callback = (err: Error | null, connection?: RawConnection) => void;

interface RawConnection {
  query(sql: unknown, values?: unknown, cb?: unknown): unknown;
  release(): void;
  destroy(): void;
}

interface RawQueue {
  length: number;
  get(index: number): unknown;
  removeOne(index: number): void;
}

interface RawPool {
  getConnection(cb: Callback): void;
  /** mysql2's wait queue (internal): a waiter that gave up is taken out so it holds no slot. */
  _connectionQueue?: RawQueue;
}

export interface PoolLimits {
  acquireTimeoutMs: number;
  queryTimeoutMs: number;
}

const GUARDED = Symbol('poolGuard');
const TIMED_OUT = 'PROTOCOL_SEQUENCE_TIMEOUT';

/**
 * mysql2's pool has a bounded wait queue (`queueLimit`) but no deadline for a waiter, and its
 * statement timeout leaves the late answer queued on the connection. Every connection the
 * application takes goes through `pool.getConnection` (TypeORM's query runners too), so that is
 * where both are added: a waiter past `acquireTimeoutMs` gets DatabaseBusyError (a connection
 * that arrives after that goes straight back); every statement gets `queryTimeoutMs`, and a
 * connection whose statement timed out is destroyed rather than handed to the next caller.
 */
export function guardPool(dataSource: DataSource, limits: PoolLimits): void {
  const pool = (dataSource.driver as unknown as { pool?: RawPool & { [GUARDED]?: true } }).pool;
  if (!pool || pool[GUARDED]) return;
  pool[GUARDED] = true;
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = (cb: Callback) => {
    let settled = false;
    const waiter: Callback = (err, connection) => {
      if (settled) {
        connection?.release();
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (err) return cb(/Queue limit reached/.test(err.message) ? new DatabaseBusyError('Too many requests wait for a database connection') : err);
      guardConnection(connection!, limits.queryTimeoutMs);
      cb(null, connection);
    };
    const timer = setTimeout(() => {
      settled = true;
      removeWaiter(pool, waiter);
      cb(new DatabaseBusyError(`No database connection within ${limits.acquireTimeoutMs}ms`));
    }, limits.acquireTimeoutMs);
    getConnection(waiter);
  };
}

function removeWaiter(pool: RawPool, waiter: Callback): void {
  const queue = pool._connectionQueue;
  if (!queue || typeof queue.get !== 'function') return;
  for (let i = 0; i < queue.length; i++) {
    if (queue.get(i) === waiter) return queue.removeOne(i);
  }
}

/** Adds the statement timeout to every query of this connection (once per connection). */
function guardConnection(connection: RawConnection & { [GUARDED]?: true }, timeoutMs: number): void {
  if (connection[GUARDED]) return;
  connection[GUARDED] = true;
  const query = connection.query.bind(connection);
  connection.query = (sql: unknown, values?: unknown, cb?: unknown) => {
    if (typeof values === 'function') [values, cb] = [undefined, values];
    const options = typeof sql === 'string' ? { sql, timeout: timeoutMs } : withTimeout(sql, timeoutMs);
    if (typeof cb !== 'function') return values === undefined ? query(options) : query(options, values); // a stream
    const onResult = (err: { code?: string } | null, ...rest: unknown[]) => {
      // The late answer would stay queued on the connection, ahead of the next caller's: drop it.
      if (err?.code === TIMED_OUT) connection.destroy();
      (cb as (err: unknown, ...rest: unknown[]) => void)(err, ...rest);
    };
    return values === undefined ? query(options, onResult) : query(options, values, onResult);
  };
}

function withTimeout(sql: unknown, timeoutMs: number): unknown {
  const options = sql as { constructor?: unknown; timeout?: number } | null;
  // A prepared Query command (not a plain options object) is passed through as it is.
  if (!options || options.constructor !== Object || options.timeout !== undefined) return sql;
  return { ...options, timeout: timeoutMs };
}
