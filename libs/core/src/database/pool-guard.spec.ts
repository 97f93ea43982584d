import type { DataSource } from 'typeorm';
import { guardPool } from './pool-guard';

type Cb = (err: (Error & { code?: string }) | null, connection?: FakeConnection) => void;

class FakeConnection {
  released = 0;
  destroyed = 0;
  queries: unknown[] = [];
  answer: (cb: (err: unknown, rows?: unknown) => void) => void = (cb) => cb(null, []);
  query(sql: unknown, values: unknown, cb: (err: unknown, rows?: unknown) => void) {
    this.queries.push(sql);
    this.answer(cb);
  }
  release() {
    this.released++;
  }
  destroy() {
    this.destroyed++;
  }
}

/** mysql2's pool as the guard sees it: getConnection plus its internal wait queue. */
function fakePool() {
  const waiting: Cb[] = [];
  const pool = {
    calls: 0,
    waiting,
    _connectionQueue: {
      get length() {
        return waiting.length;
      },
      get: (i: number) => waiting[i],
      removeOne: (i: number) => void waiting.splice(i, 1),
    },
    getConnection(cb: Cb) {
      pool.calls++;
      waiting.push(cb);
    },
  };
  const ds = { driver: { pool } } as unknown as DataSource;
  guardPool(ds, { acquireTimeoutMs: 100, queryTimeoutMs: 500 });
  return pool;
}

const acquire = (pool: { getConnection(cb: Cb): void }) =>
  new Promise<{ err: (Error & { code?: string }) | null; connection?: FakeConnection }>((resolve) =>
    pool.getConnection((err, connection) => resolve({ err, connection })),
  );

describe('guardPool', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gives a waiter past the acquire deadline DB_POOL_BUSY and takes it out of the queue', async () => {
    const pool = fakePool();
    const result = acquire(pool);
    expect(pool.waiting).toHaveLength(1);
    jest.advanceTimersByTime(100);
    expect((await result).err).toMatchObject({ code: 'DB_POOL_BUSY' });
    expect(pool.waiting).toHaveLength(0);
  });

  it('sends a connection that arrives after the caller gave up straight back to the pool', async () => {
    const pool = fakePool();
    const result = acquire(pool);
    const late = pool.waiting[0];
    jest.advanceTimersByTime(100);
    await result;
    const connection = new FakeConnection();
    late(null, connection);
    expect(connection.released).toBe(1);
  });

  it('answers a full wait queue with DB_POOL_BUSY', async () => {
    const pool = fakePool();
    const result = acquire(pool);
    pool.waiting[0](new Error('Queue limit reached.'));
    expect((await result).err).toMatchObject({ code: 'DB_POOL_BUSY' });
  });

  it('adds the statement timeout, and destroys a connection whose statement timed out', async () => {
    const pool = fakePool();
    const result = acquire(pool);
    const connection = new FakeConnection();
    pool.waiting[0](null, connection);
    const { connection: got } = await result;
    connection.answer = (cb) =>
      cb(Object.assign(new Error('Query inactivity timeout'), { code: 'PROTOCOL_SEQUENCE_TIMEOUT' }));
    const err = await new Promise((resolve) => got!.query('SELECT 1', [], resolve));
    expect(err).toMatchObject({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
    expect(connection.queries).toEqual([{ sql: 'SELECT 1', timeout: 500 }]);
    expect(connection.destroyed).toBe(1);
  });

  it('fails fast while MySQL is unreachable, lets one probe through per period, and closes on a new connection', async () => {
    const pool = fakePool();
    const first = acquire(pool);
    pool.waiting.shift()!(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect((await first).err).toMatchObject({ code: 'ECONNREFUSED' });

    const calls = pool.calls;
    const refused = await Promise.all(
      [acquire(pool), acquire(pool), acquire(pool)].map((p) => (jest.runAllTicks(), p)),
    );
    expect(refused.map((r) => r.err?.code)).toEqual(['DB_POOL_BUSY', 'DB_POOL_BUSY', 'DB_POOL_BUSY']);
    expect(pool.calls).toBe(calls); // no connect attempt of their own

    jest.advanceTimersByTime(250);
    const probe = acquire(pool);
    expect(pool.calls).toBe(calls + 1);
    pool.waiting.shift()!(null, new FakeConnection());
    expect((await probe).err).toBeNull();
    void acquire(pool);
    expect(pool.calls).toBe(calls + 2); // back to normal
  });
});
