import { RedisStatus, sleep } from '@app/core';
import { startTestApp, TestApp } from '../helpers/test-app';
import { auditViolations, checkoutDriver, createProduct, inbound, rowState } from './checkout-driver';

/**
 * Redis goes away (the gate passes everything to MySQL) and comes back: the reconciliation that
 * runs on its return must leave Redis able to follow what happens next, including the release
 * of units frozen while it was away (their reservation never reached Redis).
 */
describe('Redis coming back after an outage', () => {
  let t: TestApp;
  let status: RedisStatus;

  beforeAll(async () => {
    // jobs on for the reconciliation on Redis' return; the periodic one never fires during the test,
    // nor does the Redis ping (it would end the outage this test declares by hand)
    t = await startTestApp({
      env: {
        JOBS_ENABLED: 'true',
        RECONCILE_INTERVAL_MS: '3600000',
        SOLD_OUT_FLAG_TTL_MS: '0',
        REDIS_PING_INTERVAL_MS: '60000',
      },
    });
    status = t.app.get(RedisStatus);
    await createProduct(t, 'BACK-1');
    await inbound(t, 'BACK-1', 10);
  });

  afterAll(async () => {
    await t?.close();
  });

  async function redisAvailableBecomes(expected: number): Promise<number | null> {
    const deadline = Date.now() + 3000;
    let seen = (await rowState(t, 'BACK-1')).redisAvailable;
    while (seen !== expected && Date.now() < deadline) {
      await sleep(25);
      seen = (await rowState(t, 'BACK-1')).redisAvailable;
    }
    return seen;
  }

  it('gives back to the gate the units of orders frozen while Redis was down once they are cancelled', async () => {
    const driver = checkoutDriver(t);
    const beforeOutage = await driver.freeze('u1', [{ sku: 'BACK-1', qty: 3 }]);
    expect(beforeOutage.outcome).toBe('FROZEN');
    expect((await rowState(t, 'BACK-1')).redisAvailable).toBe(7);

    status.set(false, 'test outage');
    await driver.coordinator.rollback(beforeOutage.txId, 'USER'); // its Redis release is skipped
    const duringOutage = await driver.freeze('u2', [{ sku: 'BACK-1', qty: 4 }]); // MySQL only
    expect(duringOutage.outcome).toBe('FROZEN');

    status.set(true);
    expect(await redisAvailableBecomes(6)).toBe(6); // reconciled on return: 10 - 4

    await driver.coordinator.rollback(duringOutage.txId, 'USER');
    expect((await rowState(t, 'BACK-1')).onHand - (await rowState(t, 'BACK-1')).reserved).toBe(10);
    expect((await rowState(t, 'BACK-1')).redisAvailable).toBe(10);
    expect((await driver.freeze('u3', [{ sku: 'BACK-1', qty: 10 }])).outcome).toBe('FROZEN');
    expect(await auditViolations(t)).toEqual([]);
  });
});
