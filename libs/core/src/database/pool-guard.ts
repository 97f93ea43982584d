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
  /** mysql2's idle connections (internal): dropped when MySQL stops answering. */
  _freeConnections?: RawQueue;
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
 * During an outage callers fail fast (Reachability).
 */
export function guardPool(dataSource: DataSource, limits: PoolLimits): void {
  const pool = (dataSource.driver as unknown as { pool?: RawPool & { [GUARDED]?: true } }).pool;
  if (!pool || pool[GUARDED]) return;
  pool[GUARDED] = true;
  const getConnection = pool.getConnection.bind(pool);
  const reach = new Reachability();
  const opened = new WeakSet<RawConnection>();
  const observeStatement = (err: { code?: string } | null) => {
    if (!err) return reach.up();
    reach.observeFailure(err);
    // No answer in time: MySQL hangs. The idle connections lead to the same MySQL; dropped,
    // they cannot hand the next callers a statement that hangs as well.
    if (err.code === TIMED_OUT) dropIdle(pool);
  };
  const observeAcquire = (err: Error | null, connection?: RawConnection) => {
    if (err) return reach.observeFailure(err as { code?: string });
    // A connection opened just now proves MySQL answers; a pooled one proves nothing.
    if (!opened.has(connection!)) reach.up();
    opened.add(connection!);
  };

  pool.getConnection = (cb: Callback) => {
    if (!reach.mayTry()) return process.nextTick(() => cb(new DatabaseBusyError('MySQL is unreachable; retry later')));
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      removeWaiter(pool, waiter);
      cb(new DatabaseBusyError(`No database connection within ${limits.acquireTimeoutMs}ms`));
    }, limits.acquireTimeoutMs);
    const waiter: Callback = (err, connection) => {
      observeAcquire(err, connection);
      if (settled) return connection?.release(); // the caller gave up: straight back to the pool
      settled = true;
      clearTimeout(timer);
      if (err)
        return cb(
          /Queue limit reached/.test(err.message)
            ? new DatabaseBusyError('Too many requests wait for a database connection')
            : err,
        );
      guardConnection(connection!, limits.queryTimeoutMs, observeStatement);
      cb(null, connection);
    };
    getConnection(waiter);
  };
}

/** Errors that say MySQL cannot be reached at all (not that it refused one statement). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ECONNRESET',
  'PROTOCOL_CONNECTION_LOST',
]);
/** While MySQL is unreachable, one connection attempt per this period finds out whether it is back. */
const PROBE_INTERVAL_MS = 250;

/**
 * Fail fast during an outage: once a connection could not be opened, or a statement got no answer
 * within its timeout, every caller gets its 503 at once instead of a connect attempt, a wait or
 * a hung statement of its own. One caller per PROBE_INTERVAL_MS goes through as a probe; a new
 * connection opened or any statement answered ends the outage for everyone.
 */
class Reachability {
  private down = false;
  private lastProbeAt = 0;

  mayTry(): boolean {
    if (!this.down) return true;
    const now = Date.now();
    if (now - this.lastProbeAt < PROBE_INTERVAL_MS) return false;
    this.lastProbeAt = now;
    return true;
  }

  /** A connection could not be opened, or a statement got no answer in time (a hung MySQL). */
  observeFailure(err: { code?: string }): void {
    if (!UNREACHABLE.has(err.code ?? '') && err.code !== TIMED_OUT) return;
    if (!this.down) this.lastProbeAt = Date.now();
    this.down = true;
  }

  up(): void {
    this.down = false;
  }
}

function dropIdle(pool: RawPool): void {
  const idle = pool._freeConnections;
  if (!idle || typeof idle.get !== 'function') return;
  const connections: RawConnection[] = [];
  for (let i = 0; i < idle.length; i++) connections.push(idle.get(i) as RawConnection);
  for (const c of connections) c.destroy(); // each leaves the pool (and its idle list) as it goes
}

function removeWaiter(pool: RawPool, waiter: Callback): void {
  const queue = pool._connectionQueue;
  if (!queue || typeof queue.get !== 'function') return;
  for (let i = 0; i < queue.length; i++) {
    if (queue.get(i) === waiter) return queue.removeOne(i);
  }
}

type GuardedConnection = RawConnection & { [GUARDED]?: true };

/** Adds the statement timeout to every query of this connection (once per connection). */
function guardConnection(
  connection: GuardedConnection,
  timeoutMs: number,
  observe: (err: { code?: string } | null) => void,
): void {
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
      observe(err);
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
