import { sleep } from '@app/core';
import { ProbeModule } from '../helpers/probe.module';
import { startTestApp, TestApp } from '../helpers/test-app';

describe('per-user rate limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_USER_PER_SEC: '5' }, extraModules: [ProbeModule] });
  });
  afterAll(() => t.close());

  it('answers a user over the limit with 429 RATE_LIMITED, and leaves other users alone', async () => {
    const burst = await Promise.all(
      Array.from({ length: 12 }, () => t.request('GET', '/__probe/user', { user: 'greedy' })),
    );
    expect(burst.filter((r) => r.status === 200)).toHaveLength(5);
    const limited = burst.filter((r) => r.status === 429);
    expect(limited).toHaveLength(7);
    expect(limited[0].body).toEqual(expect.objectContaining({ statusCode: 429, error: 'RATE_LIMITED' }));
    expect((await t.request('GET', '/__probe/user', { user: 'patient' })).status).toBe(200);
  });

  it('lets the user in again after the window', async () => {
    await sleep(1100);
    expect((await t.request('GET', '/__probe/user', { user: 'greedy' })).status).toBe(200);
  });

  it('does not count requests without a user (admin, health) or with an unknown key', async () => {
    const admin = await Promise.all(Array.from({ length: 12 }, () => t.request('GET', '/v1/admin/products')));
    expect(admin.every((r) => r.status === 200)).toBe(true);
    const unknown = await t.request('GET', '/__probe/user', {
      as: 'none',
      user: 'greedy2',
      headers: { authorization: 'Bearer nope-nope-nope' },
    });
    expect(unknown.status).toBe(401);
  });
});
