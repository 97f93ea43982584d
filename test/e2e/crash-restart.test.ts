import { createConnection } from 'mysql2/promise';
import { sleep } from '@app/core';
import { FAST_RECOVERY_ENV, ServerProcess, startBuiltServer, untilSaleUnderway } from '../helpers/server-process';
import { ADMIN_KEY, newTestEnv, STOREFRONT_KEY, TestEnv } from '../helpers/test-env';

/**
 * Invariant 5, "no transaction left hanging" (docs/invariants.md#i5-no-transaction-left-hanging):
 * the built server is SIGKILLed in the middle of a flash sale (checkouts and payments in
 * flight), then started again. Its recovery job must drive every transaction to
 * an end within the deadline plus a few intervals, with stock, money and the audit consistent.
 */
describe.each([
  ['one batch per checkout', {}],
  // Checkouts and pays of the hot row share local transactions (group commit) when the kill lands.
  [
    'group commit',
    { TCC_GROUP_COMMIT_LINGER_MS: '20', TCC_GROUP_COMMIT_IN_FLIGHT: '1', TCC_GROUP_COMMIT_COMMIT_IN_FLIGHT: '1' },
  ],
  [
    'group commit, Redis down',
    {
      TCC_GROUP_COMMIT_LINGER_MS: '20',
      TCC_GROUP_COMMIT_IN_FLIGHT: '1',
      TCC_GROUP_COMMIT_COMMIT_IN_FLIGHT: '1',
      REDIS_URL: 'redis://127.0.0.1:6390',
    },
  ],
])('SIGKILL mid flash sale, then restart (%s)', (_mode, extraEnv: Record<string, string>) => {
  const UNITS = 40;
  const USERS = 120;
  let testEnv: TestEnv;
  let server: ServerProcess | undefined;

  const env = () => ({
    DB_NAME: testEnv.dbName,
    REDIS_KEY_PREFIX: testEnv.redisPrefix,
    ...FAST_RECOVERY_ENV,
    ...extraEnv,
  });

  const api = async (method: string, path: string, opts: { user?: string; key?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${path.startsWith('/v1/admin') ? ADMIN_KEY : STOREFRONT_KEY}`,
    };
    if (opts.user) headers['x-user-id'] = opts.user;
    if (opts.key) headers['idempotency-key'] = opts.key;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server!.baseUrl}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };

  const untilSaleUnderwayHere = async () => {
    const db = await createConnection({ host: '127.0.0.1', user: 'root', password: '', database: testEnv.dbName });
    try {
      await untilSaleUnderway(db);
    } finally {
      await db.end();
    }
  };

  beforeAll(() => {
    testEnv = newTestEnv();
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    await testEnv.cleanup();
  });

  it('ends every transaction and keeps every unit and cent accounted for', async () => {
    server = await startBuiltServer(env());
    expect(
      (await api('POST', '/v1/admin/products', { body: { sku: 'CRASH', name: 'c', category: 'c', priceCents: 100 } }))
        .status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/v1/admin/stock/inbound', {
          key: 'in-1',
          body: { sku: 'CRASH', warehouse: 'main', qty: UNITS },
        })
      ).status,
    ).toBe(200);
    const users = Array.from({ length: USERS }, (_, i) => `crash${i}`);
    for (const u of users)
      expect(
        (await api('POST', `/v1/admin/wallets/${u}/credit`, { key: `cr-${u}`, body: { amountCents: 1000 } })).status,
      ).toBe(200);

    // Every user checks out and pays at once; the server dies while this is in flight.
    const flood = users.map(async (u) => {
      const placed = await api('POST', '/v1/orders', {
        user: u,
        key: `o-${u}`,
        body: { items: [{ sku: 'CRASH', qty: 1 }] },
      });
      if (placed.status === 201)
        await api('POST', `/v1/orders/${placed.body.orderId}/pay`, { user: u, body: { method: 'WALLET' } });
    });
    // Kill once the sale is under way (some orders placed, some paid), however fast this machine is.
    await untilSaleUnderwayHere();
    server.child.kill('SIGKILL');
    await server.exited;
    await Promise.allSettled(flood);

    server = await startBuiltServer(env());
    const db = await createConnection({ host: '127.0.0.1', user: 'root', password: '', database: testEnv.dbName });
    try {
      const openNow = async () => {
        const [rows] = await db.query(
          `SELECT COUNT(*) AS n FROM tcc_transaction WHERE status NOT IN ('CONFIRMED', 'CANCELLED')`,
        );
        return Number((rows as Array<{ n: number }>)[0].n);
      };
      // The kill really caught work in flight: unpaid checkouts at least are still open.
      expect(await openNow()).toBeGreaterThan(0);
      // Deadline (3 s) plus a few recovery intervals.
      const deadline = Date.now() + 15000;
      let open = -1;
      while (Date.now() < deadline) {
        open = await openNow();
        if (open === 0) break;
        await sleep(250);
      }
      expect(open).toBe(0);

      const [txs] = await db.query('SELECT COUNT(*) AS n FROM tcc_transaction');
      expect(Number((txs as Array<{ n: number }>)[0].n)).toBeGreaterThan(0);
      const [orders] = await db.query(`SELECT status, COUNT(*) AS n FROM orders GROUP BY status`);
      const byStatus = Object.fromEntries(
        (orders as Array<{ status: string; n: number }>).map((r) => [r.status, Number(r.n)]),
      );
      expect(byStatus.PENDING_PAYMENT ?? 0).toBe(0);
      const paid = byStatus.PAID ?? 0;
      expect(paid).toBeLessThanOrEqual(UNITS);

      const stock = (await api('GET', '/v1/admin/stock?sku=CRASH&warehouse=main')).body.items[0];
      expect(stock).toEqual(expect.objectContaining({ onHand: UNITS - paid, reserved: 0, available: UNITS - paid }));
      const [wallets] = await db.query('SELECT SUM(balance_cents) AS balance, SUM(frozen_cents) AS frozen FROM wallet');
      const w = (wallets as Array<{ balance: string; frozen: string }>)[0];
      expect({ balance: Number(w.balance), frozen: Number(w.frozen) }).toEqual({
        balance: USERS * 1000 - paid * 100,
        frozen: 0,
      });

      expect((await api('GET', '/v1/admin/audit')).body).toEqual({ ok: true, violations: [] });
      await api('POST', '/v1/admin/reconcile');
      expect((await api('POST', '/v1/admin/reconcile')).body).toEqual(expect.objectContaining({ drifted: 0 }));
    } catch (err) {
      // What was left open says where recovery stopped.
      const [open] = await db.query(
        `SELECT t.tx_id, t.status, t.retry_count, t.last_error, t.lease_until, GROUP_CONCAT(CONCAT(b.participant, '=', b.status)) AS branches
           FROM tcc_transaction t LEFT JOIN tcc_branch b ON b.tx_id = t.tx_id
          WHERE t.status NOT IN ('CONFIRMED', 'CANCELLED') GROUP BY t.tx_id LIMIT 5`,
      );
      throw new Error(
        `${(err as Error).message}\n--- open transactions ---\n${JSON.stringify(open)}\n--- server output ---\n${server.output().slice(-3000)}`,
      );
    } finally {
      await db.end();
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
