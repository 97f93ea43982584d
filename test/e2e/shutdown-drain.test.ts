import { createConnection } from 'mysql2/promise';
import { ulid } from 'ulid';
import { sleep } from '@app/core';
import { startBuiltServer } from '../helpers/server-process';
import { ADMIN_KEY, newTestEnv, STOREFRONT_KEY } from '../helpers/test-env';

/** SIGTERM of the built server while many checkouts and pays are running. */
describe('SIGTERM under load', () => {
  it('finishes the work in flight before the pools close: consistent answers, nothing left to recovery, exit 0', async () => {
    const testEnv = newTestEnv();
    const server = await startBuiltServer({
      DB_NAME: testEnv.dbName,
      REDIS_KEY_PREFIX: testEnv.redisPrefix,
      LOG_LEVEL: 'info',
      JOBS_ENABLED: 'true',
      TCC_RECOVERY_INTERVAL_MS: '200',
      RATE_LIMIT_USER_PER_SEC: '0',
      SHUTDOWN_GRACE_MS: '20000',
    });
    // clients that give up (a proxy's timeout, a closed tab) leave their requests running on the server
    const cut = new AbortController();
    const call = async (method: string, path: string, body: unknown, as: 'admin' | 'shop', user?: string) => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${as === 'admin' ? ADMIN_KEY : STOREFRONT_KEY}`,
        'content-type': 'application/json',
        'idempotency-key': ulid(),
      };
      if (user) headers['x-user-id'] = user;
      const res = await fetch(`${server.baseUrl}${path}`, {
        method,
        headers,
        body: JSON.stringify(body),
        signal: cut.signal,
      });
      return { status: res.status, body: (await res.json().catch(() => null)) as any };
    };
    const db = await createConnection({ host: '127.0.0.1', user: 'root', password: '', database: testEnv.dbName });
    try {
      expect(
        (
          await call(
            'POST',
            '/v1/admin/products',
            { sku: 'SD-1', name: 'sd', category: 'sd', priceCents: 100 },
            'admin',
          )
        ).status,
      ).toBe(201);
      expect(
        (await call('POST', '/v1/admin/stock/inbound', { sku: 'SD-1', warehouse: 'main', qty: 100000 }, 'admin'))
          .status,
      ).toBe(200);
      const users = Array.from({ length: 100 }, (_, i) => `sd-user-${i}`);
      for (const u of users)
        expect((await call('POST', `/v1/admin/wallets/${u}/credit`, { amountCents: 1_000_000 }, 'admin')).status).toBe(
          200,
        );

      // each user: checkout, pay, repeat, until the server stops answering
      const answers: Array<{ kind: string; status: number; orderId?: string }> = [];
      const loops = users.map(async (u) => {
        for (let i = 0; i < 50; i++) {
          const placed = await call('POST', '/v1/orders', { items: [{ sku: 'SD-1', qty: 1 }] }, 'shop', u).catch(
            () => null,
          );
          if (!placed) return;
          answers.push({ kind: 'place', status: placed.status, orderId: placed.body?.orderId });
          if (placed.status !== 201) return;
          const paid = await call(
            'POST',
            `/v1/orders/${placed.body.orderId}/pay`,
            { method: 'WALLET' },
            'shop',
            u,
          ).catch(() => null);
          if (!paid) return;
          answers.push({ kind: 'pay', status: paid.status, orderId: placed.body.orderId });
          if (paid.status !== 200) return;
        }
      });
      await sleep(1500);
      cut.abort();
      server.child.kill('SIGTERM');
      await Promise.all(loops);
      expect(await server.exited).toBe(0);

      const log = server.output();
      expect(log).not.toContain('Connection is not established');
      expect(log).not.toContain('Pool is closed');
      // a 2xx was told the truth: placed orders exist, paid ones are PAID
      const [orders] = (await db.query('SELECT order_id AS orderId, status FROM orders')) as any[];
      const statusOf = new Map<string, string>(orders.map((o: any) => [o.orderId, o.status]));
      const ok = answers.filter((a) => a.status < 300);
      expect(ok.length).toBeGreaterThan(20);
      // many requests were still running when the clients went away
      expect(Number(((await db.query('SELECT COUNT(*) AS n FROM orders')) as any)[0][0].n)).toBeGreaterThan(
        answers.filter((a) => a.kind === 'place').length,
      );
      for (const a of ok)
        expect(a.kind === 'pay' ? statusOf.get(a.orderId!) : statusOf.has(a.orderId!)).toBe(
          a.kind === 'pay' ? 'PAID' : true,
        );
      // nothing left half-decided for the recovery job
      const [pending] = (await db.query(
        "SELECT status, COUNT(*) AS n FROM tcc_transaction WHERE status IN ('CONFIRMING', 'CANCELLING') GROUP BY status",
      )) as any[];
      expect(pending).toEqual([]);
      const [leftTrying] = (await db.query(
        "SELECT COUNT(*) AS n FROM tcc_transaction t JOIN orders o ON o.tx_id = t.tx_id WHERE t.status = 'TRYING' AND o.status <> 'PENDING_PAYMENT'",
      )) as any[];
      expect(Number(leftTrying[0].n)).toBe(0);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- server output (tail) ---\n${server.output().slice(-4000)}`);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await db.end();
      await testEnv.cleanup();
    }
  });
});
