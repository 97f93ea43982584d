import { ThrowawayRedis } from '../helpers/redis-server';
import { ServerProcess, startBuiltServer } from '../helpers/server-process';
import { ADMIN_KEY, newTestEnv, STOREFRONT_KEY, TestEnv } from '../helpers/test-env';
import { api, nonIncreasing, refusedUpgrade, SseClient, until, WsClient } from './live-clients';

/** Two instances on one database and one Redis: changes cross over pub/sub, and say so when they cannot. */
describe('live stock across instances', () => {
  let testEnv: TestEnv;
  let redis: ThrowawayRedis;
  let a: ServerProcess;
  let b: ServerProcess;
  const clients: Array<{ close(): void }> = [];

  beforeAll(async () => {
    testEnv = newTestEnv();
    redis = await ThrowawayRedis.start();
    const env = {
      ...testEnv.env,
      REDIS_URL: redis.url,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_USER_PER_SEC: '0',
      REDIS_PING_INTERVAL_MS: '100',
    };
    a = await startBuiltServer(env);
    b = await startBuiltServer({ ...env, LIVE_MAX_CONNECTIONS: '4', RETRY_AFTER_SEC: '3' });
    const call = api(a.baseUrl);
    expect(
      (
        await call('POST', '/v1/admin/products', {
          body: { sku: 'TWIN', name: 'twin', category: 'live', priceCents: 100 },
        })
      ).status,
    ).toBe(201);
    expect(
      (await call('POST', '/v1/admin/stock/inbound', { body: { sku: 'TWIN', warehouse: 'main', qty: 40 } })).status,
    ).toBe(200);
    expect(
      (await call('PUT', '/v1/admin/stock/threshold', { body: { sku: 'TWIN', warehouse: 'main', threshold: 25 } }))
        .status,
    ).toBe(200);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of [a, b]) if (s && s.child.exitCode === null) s.child.kill('SIGKILL');
    await redis?.kill();
    await testEnv.cleanup();
  });

  const sale = (server: ServerProcess, n: number, tag: string) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        api(server.baseUrl)('POST', '/v1/orders', { user: `${tag}${i}`, body: { items: [{ sku: 'TWIN', qty: 1 }] } }),
      ),
    );
  const available = async () =>
    (await api(a.baseUrl)('GET', '/v1/admin/stock?sku=TWIN&warehouse=main')).body.items[0].available as number;

  it('a sale on one instance reaches a client on the other, and the admin stream there shows it', async () => {
    const onB = await SseClient.open(`${b.baseUrl}/v1/stock/stream?skus=TWIN`);
    const adminB = await SseClient.open(`${b.baseUrl}/v1/admin/events`, { authorization: `Bearer ${ADMIN_KEY}` });
    clients.push(onB, adminB);
    await until('the snapshot', () => onB.last?.available === 40);

    const results = await sale(a, 20, 'a');
    expect(results.every((r) => r.status === 201)).toBe(true);
    await until('the sale on B', () => onB.last?.available === 20);
    expect(await available()).toBe(20);
    expect(nonIncreasing(onB.stock.map((e) => e.available))).toBe(true);

    const events = () => adminB.others.map((e) => ({ event: e.event, ...JSON.parse(e.data) }));
    await until(
      'sales and the low-stock alert',
      () => {
        const sold = events()
          .filter((e) => e.event === 'sales' && e.sku === 'TWIN')
          .reduce((n, e) => n + e.sold, 0);
        return sold === 20 && events().some((e) => e.event === 'alert' && e.change === 'OPENED');
      },
      5000,
    );
  });

  it('over the connection cap: 503 with Retry-After, for streams and sockets', async () => {
    // B holds two connections already (above); two more fill it.
    clients.push(await SseClient.open(`${b.baseUrl}/v1/stock/stream?skus=TWIN`), await WsClient.open(b.baseUrl));
    const refused = await SseClient.open(`${b.baseUrl}/v1/stock/stream?skus=TWIN`);
    expect(refused.status).toBe(503);
    expect(refused.res!.headers['retry-after']).toBe('3');
    expect(JSON.parse(refused.body)).toEqual(
      expect.objectContaining({ statusCode: 503, error: 'SERVICE_UNAVAILABLE', details: { retryAfterSec: 3 } }),
    );
    const upgrade = await refusedUpgrade(b.baseUrl, { authorization: `Bearer ${STOREFRONT_KEY}` });
    expect(upgrade).toEqual({
      status: 503,
      body: expect.objectContaining({ error: 'SERVICE_UNAVAILABLE' }),
      retryAfter: '3',
    });
  });

  it('with Redis down each instance streams its own changes, says so, and catches up when Redis is back', async () => {
    const onB = clients[0] as SseClient;
    const adminB = clients[1] as SseClient;
    await redis.kill();
    await until(
      'the local-only notice',
      () => onB.others.some((e) => e.event === 'notice' && JSON.parse(e.data).type === 'local-only'),
      10000,
    );
    await until(
      'the gate event',
      () => adminB.others.some((e) => e.event === 'gate' && JSON.parse(e.data).mode === 'mysql-only'),
      10000,
    );

    // A change made on B reaches B's client; one made on A too (B re-reads its rows while it cannot hear A).
    expect((await sale(b, 3, 'b')).every((r) => r.status === 201)).toBe(true);
    expect((await sale(a, 2, 'c')).every((r) => r.status === 201)).toBe(true);
    expect(await available()).toBe(15);
    await until('both sales on B', () => onB.last?.available === 15, 10000);

    await redis.start();
    await until(
      'the cross-instance notice',
      () => onB.others.some((e) => e.event === 'notice' && JSON.parse(e.data).type === 'cross-instance'),
      20000,
    );
    expect((await sale(a, 5, 'd')).every((r) => r.status === 201)).toBe(true);
    await until('the sale on B again', () => onB.last?.available === 10, 10000);
    expect(nonIncreasing(onB.stock.map((e) => e.available))).toBe(true);
  });
});
