import { sleep } from '@app/core';
import { startTestApp, TestApp } from '../helpers/test-app';

/** Overload is shed, not queued: a saturated pool answers 503 + Retry-After at once; /health pings MySQL at most once per period. */
describe('overload shedding', () => {
  let t: TestApp;
  const PING_INTERVAL_MS = 800;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        DB_POOL_SIZE: '2',
        DB_POOL_QUEUE_LIMIT: '3',
        DB_ACQUIRE_TIMEOUT_MS: '300',
        RETRY_AFTER_SEC: '2',
        HEALTH_MYSQL_PING_INTERVAL_MS: String(PING_INTERVAL_MS),
        RATE_LIMIT_USER_PER_SEC: '0',
        HTTP_REQUEST_TIMEOUT_MS: '4000',
        HTTP_CONNECTION_TIMEOUT_MS: '6000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000',
      },
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  async function pings(): Promise<number> {
    const metrics = (await t.request('GET', '/metrics', { as: 'none' })).body as string;
    const match = /^health_mysql_pings_total (\d+)/m.exec(metrics);
    return match ? Number(match[1]) : NaN;
  }

  it('answers a burst of 200 concurrent /health requests with at most one MySQL ping per period', async () => {
    await sleep(PING_INTERVAL_MS + 50); // the boot-time probe's ping is stale now
    const before = await pings();
    const burst = await Promise.all(Array.from({ length: 200 }, () => t.request('GET', '/health', { as: 'none' })));
    expect(burst.map((r) => r.status)).toEqual(Array(200).fill(200));
    expect(burst.every((r) => r.body.info.mysql.status === 'up')).toBe(true);
    expect((await pings()) - before).toBe(1);

    await sleep(PING_INTERVAL_MS + 50);
    await Promise.all(Array.from({ length: 200 }, () => t.request('GET', '/health', { as: 'none' })));
    expect((await pings()) - before).toBe(2);
  });

  it('sheds requests past a saturated pool with 503 SERVICE_UNAVAILABLE and Retry-After, within the acquire deadline', async () => {
    // Slow work holds both connections for 3 s.
    const slow = [t.db.query('SELECT SLEEP(3)'), t.db.query('SELECT SLEEP(3)')];
    await sleep(100);
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.request('GET', '/v1/orders', { user: `shed-${i}` }).then((r) => ({ ...r, ms: Date.now() - started })),
      ),
    );
    for (const r of results) {
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('2');
      expect(r.body).toEqual({ statusCode: 503, error: 'SERVICE_UNAVAILABLE', message: expect.any(String) });
      expect(r.ms).toBeLessThan(1500); // not the 3 s the slow work holds the pool
    }
    await Promise.all(slow);

    // The pool is whole again: nothing was leaked by the requests that gave up.
    for (let round = 0; round < 3; round++) {
      const after = await Promise.all(
        Array.from({ length: 4 }, (_, i) => t.request('GET', '/v1/orders', { user: `shed-${i}` })),
      );
      expect(after.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    }
  });

  it("sets Fastify's request, connection and keep-alive timeouts from the configuration", () => {
    const server = t.app.getHttpAdapter().getInstance().server;
    expect({ request: server.requestTimeout, connection: server.timeout, keepAlive: server.keepAliveTimeout }).toEqual({
      request: 4000,
      connection: 6000,
      keepAlive: 5000,
    });
  });
});
