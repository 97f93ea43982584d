import { pollUntil, RedisStatus, sleep } from '@app/core';
import { ThrowawayRedis } from '../helpers/redis-server';
import { startTestApp, TestApp } from '../helpers/test-app';

/**
 * The instance's Redis mode follows the connection (at once) and a background ping (with
 * hysteresis), against a redis-server of this test's own that it kills, restarts and freezes.
 */
describe('Redis status decided by the connection', () => {
  let redis: ThrowawayRedis;
  let t: TestApp;
  let status: RedisStatus;

  beforeAll(async () => {
    redis = await ThrowawayRedis.start();
    t = await startTestApp({ env: { REDIS_URL: redis.url, REDIS_PING_INTERVAL_MS: '100', REDIS_PING_SLOW_MS: '200' } });
    status = t.app.get(RedisStatus);
  });

  afterAll(async () => {
    await t?.close();
    await redis?.kill();
  });

  const until = (condition: () => boolean, timeoutMs: number) => pollUntil(condition, { timeoutMs, intervalMs: 20 });

  async function metric(name: string, labels = ''): Promise<number | undefined> {
    const text: string = (await t.request('GET', '/metrics', { as: 'none' })).body;
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  }

  const modeChanges = async () => ({
    up: (await metric('redis_mode_changes_total', '{to="up"}')) ?? 0,
    down: (await metric('redis_mode_changes_total', '{to="down"}')) ?? 0,
  });

  const health = async () => (await t.request('GET', '/health', { as: 'none' })).body;

  it('starts up with its Redis', async () => {
    expect(status.isUp).toBe(true);
    expect(await health()).toEqual({ status: 'ok', info: { mysql: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('goes down when Redis becomes unreachable and back up when it returns, counted once each way', async () => {
    const before = await modeChanges();

    await redis.kill();
    expect(await until(() => !status.isUp, 5000)).toBe(true);
    expect(await health()).toEqual({
      status: 'degraded',
      info: { mysql: { status: 'up' }, redis: { status: 'down', message: expect.any(String) } },
    });
    expect(await metric('redis_up')).toBe(0);
    expect(await metric('inventory_gate_redis_mode')).toBe(0);
    // Still down a while later: reconnect attempts and failed pings change nothing more.
    await sleep(700);
    expect(await modeChanges()).toEqual({ up: before.up, down: before.down + 1 });

    await redis.start();
    expect(await until(() => status.isUp, 10000)).toBe(true);
    expect(await health()).toEqual({ status: 'ok', info: { mysql: { status: 'up' }, redis: { status: 'up' } } });
    expect(await metric('redis_up')).toBe(1);
    expect(await metric('inventory_gate_redis_mode')).toBe(1);
    expect(await modeChanges()).toEqual({ up: before.up + 1, down: before.down + 1 });
    expect(await metric('inventory_gate_mode_changes_total', '{mode="redis"}')).toBeUndefined(); // counted once, in core
  });

  it('goes down when Redis stops answering on an open connection, and up when it answers again', async () => {
    const before = await modeChanges();
    redis.freeze();
    try {
      // No connection event here: three pings in a row without an answer decide.
      expect(await until(() => !status.isUp, 5000)).toBe(true);
      expect(status.downReason).toMatch(/^3 pings in a row failed or took over 200 ms/);
      expect(t.redis.status).toBe('ready');
    } finally {
      redis.thaw();
    }
    expect(await until(() => status.isUp, 5000)).toBe(true);
    expect(await modeChanges()).toEqual({ up: before.up + 1, down: before.down + 1 });
  });
});
