import { ProbeModule } from '../helpers/probe.module';
import { startTestApp, TestApp } from '../helpers/test-app';

/** Redis away: the service keeps working on MySQL alone and says so. */
describe('with Redis unreachable', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:6390/0' }, extraModules: [ProbeModule] });
  });
  afterAll(() => t.close());

  it('reports health 200 "degraded" with redis down', async () => {
    const res = await t.request('GET', '/health', { as: 'none' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'degraded',
      info: { mysql: { status: 'up' }, redis: expect.objectContaining({ status: 'down' }) },
    });
  });

  it('keeps idempotency on MySQL: 20 concurrent duplicates, one effect', async () => {
    const body = { label: 'no-redis', delayMs: 100 };
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.request('POST', '/__probe/write', { as: 'admin', body, idempotencyKey: 'mysql-only' }),
      ),
    );
    const rows = await t.db.query(`SELECT COUNT(*) AS n FROM probe_write WHERE label = 'no-redis'`);
    expect(Number(rows[0].n)).toBe(1);
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length + results.filter((r) => r.status === 409).length).toBe(20);
    expect(new Set(ok.map((r) => r.body.id)).size).toBe(1);
    const replay = await t.request('POST', '/__probe/write', { as: 'admin', body, idempotencyKey: 'mysql-only' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(ok[0].body);
  });

  it('keeps users apart whose ids differ only in case (byte-for-byte key scope in MySQL)', async () => {
    const body = { label: 'case', delayMs: 0 };
    const upper = await t.request('POST', '/__probe/user-write', { body, user: 'Kim', idempotencyKey: 'same' });
    const lower = await t.request('POST', '/__probe/user-write', { body, user: 'kim', idempotencyKey: 'same' });
    expect([upper.status, lower.status]).toEqual([201, 201]);
    expect(lower.headers['idempotent-replayed']).toBeUndefined();
    expect(lower.body.userId).toBe('kim');
    expect(lower.body.id).not.toBe(upper.body.id);
  });
});

describe('with MySQL gone', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.app.close().catch(() => undefined);
    await t.testEnv.cleanup();
  });

  it('reports health 503 while Redis is still up', async () => {
    expect((await t.request('GET', '/health', { as: 'none' })).body.status).toBe('ok');
    await t.db.destroy();
    const res = await t.request('GET', '/health', { as: 'none' });
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('error');
    expect(res.body.info.mysql.status).toBe('down');
    expect(res.body.info.redis.status).toBe('up');
  });

  it('answers requests that need MySQL with 503 SERVICE_UNAVAILABLE, not 500', async () => {
    const res = await t.request('GET', '/v1/admin/products');
    expect(res.status).toBe(503);
    expect(res.body).toEqual(expect.objectContaining({ statusCode: 503, error: 'SERVICE_UNAVAILABLE' }));
  });
});
