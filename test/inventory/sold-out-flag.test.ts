import { sleep } from '@app/core';
import { startTestApp, TestApp } from '../helpers/test-app';
import { newTestEnv } from '../helpers/test-env';
import { checkoutDriver, createProduct, inbound } from './checkout-driver';

/** Two instances on one database and Redis: a release on one clears the sold-out flag on the other. */
describe('sold-out flag across instances', () => {
  const testEnv = newTestEnv({ SOLD_OUT_FLAG_TTL_MS: '60000' });
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp({ testEnv });
    b = await startTestApp({ testEnv });
    await createProduct(a, 'SO-1');
    await inbound(a, 'SO-1', 1);
  });

  afterAll(async () => {
    await b?.app.close();
    await a?.close();
  });

  it('refuses from memory after a sell-out and sells again on every instance as soon as a unit is released', async () => {
    const onA = checkoutDriver(a);
    const onB = checkoutDriver(b);
    const sold = await onA.freeze('first', [{ sku: 'SO-1', qty: 1 }]);
    expect(sold.outcome).toBe('FROZEN');
    // B learns from Redis that nothing is left and remembers it (for 60 s without a clear).
    expect((await onB.freeze('second', [{ sku: 'SO-1', qty: 1 }])).outcome).toBe('INSUFFICIENT_STOCK');
    await a.redis.hset('inv:{so-1:main}', 'available', 5); // would admit, but B does not even ask Redis now
    expect((await onB.freeze('second', [{ sku: 'SO-1', qty: 1 }])).outcome).toBe('INSUFFICIENT_STOCK');
    await a.request('POST', '/v1/admin/reconcile');

    // A's rollback releases the unit and publishes the clear; B sells it without waiting for the TTL.
    await onA.coordinator.rollback(sold.txId, 'USER');
    const deadline = Date.now() + 2000;
    let outcome = 'INSUFFICIENT_STOCK';
    while (outcome !== 'FROZEN' && Date.now() < deadline) {
      outcome = (await onB.freeze('second', [{ sku: 'SO-1', qty: 1 }])).outcome;
      if (outcome !== 'FROZEN') await sleep(50);
    }
    expect(outcome).toBe('FROZEN');
  });
});
