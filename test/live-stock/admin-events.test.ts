import { AddressInfo } from 'net';
import { RedisStatus } from '@app/core';
import { TccCoordinator } from '@app/tcc';
import { startTestApp, TestApp } from '../helpers/test-app';
import { ADMIN_KEY } from '../helpers/test-env';
import { TccTestTables1700000090000, TestParticipantsModule } from '../tcc/support/test-participants';
import { SseClient, until } from './live-clients';

/** The admin console's stream: sales and refusals per second, alerts, flagged transactions, gate mode. */
describe('admin event stream', () => {
  let t: TestApp;
  let admin: SseClient;
  const events = () => admin.others.map((e) => ({ event: e.event, ...JSON.parse(e.data) }));

  beforeAll(async () => {
    t = await startTestApp({
      extraModules: [TestParticipantsModule],
      env: {
        TCC_ALERT_AFTER_ATTEMPTS: '1',
        TCC_BACKOFF_BASE_MS: '10',
        TCC_BACKOFF_MAX_MS: '100',
        RATE_LIMIT_USER_PER_SEC: '0',
      },
    });
    const runner = t.db.createQueryRunner();
    await new TccTestTables1700000090000().up(runner);
    await runner.release();
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    admin = await SseClient.open(`http://127.0.0.1:${port}/v1/admin/events`, { authorization: `Bearer ${ADMIN_KEY}` });
    await until('the gate on connect', () => events().some((e) => e.event === 'gate' && e.mode === 'redis'), 5000);
  });

  afterAll(async () => {
    admin?.close();
    await t?.close();
  });

  it('counts units sold and lines refused per sku, and reports the low-stock alert', async () => {
    expect(
      (
        await t.request('POST', '/v1/admin/products', {
          body: { sku: 'CONSOLE', name: 'c', category: 'c', priceCents: 1 },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await t.request('POST', '/v1/admin/stock/inbound', {
          body: { sku: 'CONSOLE', warehouse: 'main', qty: 3 },
          idempotencyKey: 'in-1',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await t.request('PUT', '/v1/admin/stock/threshold', {
          body: { sku: 'CONSOLE', warehouse: 'main', threshold: 2 },
          idempotencyKey: 'th-1',
        })
      ).status,
    ).toBe(200);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        t.request('POST', '/v1/orders', {
          user: `fan${i}`,
          body: { items: [{ sku: 'CONSOLE', qty: 1 }] },
          idempotencyKey: `o-${i}`,
        }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    await until(
      'the counts',
      () => {
        const sales = events().filter((e) => e.event === 'sales' && e.sku === 'CONSOLE');
        return sales.reduce((n, e) => n + e.sold, 0) === 3 && sales.reduce((n, e) => n + e.refused, 0) === 2;
      },
      5000,
    );
    await until(
      'the alert',
      () => events().some((e) => e.event === 'alert' && e.sku === 'CONSOLE' && e.change === 'OPENED'),
      5000,
    );
  });

  it('reports a transaction flagged for an operator', async () => {
    const tcc = t.app.get(TccCoordinator);
    const txId = await tcc.begin({ name: 'checkout' });
    await tcc.tryBranch(txId, 'hold', { amount: 1, failConfirms: 1 });
    await tcc.commit(txId); // its confirm fails once: flagged at once (threshold 1)
    await until(
      'the tx event',
      () => events().some((e) => e.event === 'tx' && e.txId === txId && e.status === 'CONFIRMING'),
      5000,
    );
  });

  it('reports the gate switching to MySQL-only and back', async () => {
    const status = t.app.get(RedisStatus);
    status.set(false, 'test');
    await until(
      'mysql-only',
      () => events().some((e) => e.event === 'gate' && e.mode === 'mysql-only' && e.reason === 'test'),
      5000,
    );
    status.set(true, 'test');
    await until(
      'redis again',
      () => events().filter((e) => e.event === 'gate' && e.mode === 'redis').length >= 2,
      5000,
    );
  });
});
