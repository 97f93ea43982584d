import { sleep } from '@app/core';
import { ReconcileJob } from '@app/inventory';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createProduct, inbound, rowState } from './checkout-driver';

/** The scheduled reconciliation (jobs enabled) and the on-demand endpoint. */
describe('reconciliation job', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { JOBS_ENABLED: 'true', RECONCILE_INTERVAL_MS: '1000' } });
    await createProduct(t, 'JOB-1');
    await createProduct(t, 'JOB-2');
    await inbound(t, 'JOB-1', 40);
    await inbound(t, 'JOB-2', 7);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('repairs drifted Redis rows on its own within an interval', async () => {
    await t.redis.hset('inv:{job-1:main}', 'available', 999);
    await t.redis.del('inv:{job-2:main}');
    const deadline = Date.now() + 5000;
    let rows = [await rowState(t, 'JOB-1'), await rowState(t, 'JOB-2')];
    while (Date.now() < deadline && (rows[0].redisAvailable !== 40 || rows[1].redisAvailable !== 7)) {
      await sleep(100);
      rows = [await rowState(t, 'JOB-1'), await rowState(t, 'JOB-2')];
    }
    expect(rows.map((r) => r.redisAvailable)).toEqual([40, 7]);
  });

  it('reports checked, drifted and fixed rows from POST /v1/admin/reconcile', async () => {
    await t.app.get(ReconcileJob).runOnce();
    await t.redis.hset('inv:{job-2:main}', 'available', 3);
    const res = await t.request('POST', '/v1/admin/reconcile');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ checked: 2, drifted: 1, fixed: 1 });
    expect((await rowState(t, 'JOB-2')).redisAvailable).toBe(7);
    expect((await t.request('POST', '/v1/admin/reconcile')).body).toEqual({ checked: 2, drifted: 0, fixed: 0 });
  });
});
