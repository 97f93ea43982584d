import { Logger } from '@nestjs/common';
import { sleep } from '../async/poll';
import type { AppConfig } from '../config/app-config';
import { RedisPinger } from './redis-pinger';
import { RedisStatus } from './redis-status';

/** A Redis stand-in whose only behaviour is how long each PING takes (and whether it fails). */
function fakeRedis(delays: Array<number | 'fail'>) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    ping: async () => {
      const delay = delays[Math.min(calls++, delays.length - 1)];
      if (delay === 'fail') throw new Error('Connection is closed.');
      await sleep(delay);
      return 'PONG';
    },
  };
}

describe('RedisPinger with RedisStatus', () => {
  const SLOW = 100;
  const config = { redis: { pingSlowMs: SLOW } } as AppConfig;
  let pinger: RedisPinger | undefined;
  beforeAll(() => Logger.overrideLogger(false));
  afterEach(() => pinger?.stop());

  function watch(delays: Array<number | 'fail'>) {
    const status = new RedisStatus(config);
    status.connectionReady();
    const changes: Array<{ up: boolean; reason?: string }> = [];
    status.onChange((up) => changes.push({ up, reason: status.downReason }));
    const redis = fakeRedis(delays);
    pinger = new RedisPinger(redis, (ms, error) => status.pinged(ms, error), { intervalMs: 5, slowPingMs: SLOW });
    pinger.start();
    return { status, changes, redis };
  }

  async function untilPinged(redis: { calls: number }, n: number): Promise<void> {
    while (redis.calls < n) await sleep(5);
    await sleep(SLOW + 20); // let the last one settle and be reported
  }

  it('keeps Redis up through one ping slower than the limit', async () => {
    const { status, changes, redis } = watch([1, 1, SLOW * 3, 1, 1, 1]);
    await untilPinged(redis, 6);
    expect(changes).toEqual([]);
    expect(status.isUp).toBe(true);
  });

  it('marks Redis down after three slow or failed pings in a row, and up after two good ones', async () => {
    const { status, changes, redis } = watch([1, SLOW * 3, 'fail', SLOW * 2, 1, 1, 1]);
    await untilPinged(redis, 7);
    expect(changes).toEqual([
      { up: false, reason: expect.stringMatching(/^3 pings in a row failed or took over 100 ms/) },
      { up: true, reason: undefined },
    ]);
    expect(status.isUp).toBe(true);
  });

  it('pings no more once stopped', async () => {
    const { redis } = watch([1]);
    await untilPinged(redis, 2);
    pinger!.stop();
    const calls = redis.calls;
    await sleep(50);
    expect(redis.calls).toBe(calls);
  });
});
