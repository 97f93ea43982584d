import { TccCoordinator } from '@app/tcc';
import { startTestApp, TestApp } from '../helpers/test-app';
import { probe, TccTestTables1700000090000, TestParticipantsModule } from './support/test-participants';

describe('TCC admin endpoints', () => {
  let t: TestApp;
  let tcc: TccCoordinator;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({
      extraModules: [TestParticipantsModule],
      env: { TCC_ALERT_AFTER_ATTEMPTS: '1', TCC_BACKOFF_BASE_MS: '10', TCC_BACKOFF_MAX_MS: '100' },
    });
    const runner = t.db.createQueryRunner();
    await new TccTestTables1700000090000().up(runner);
    await runner.release();
    tcc = t.app.get(TccCoordinator);

    ids.open = await tcc.begin({ name: 'checkout', timeoutMs: 600_000 });
    await tcc.tryBranch(ids.open, 'hold', { amount: 1 });
    await tcc.tryBranch(ids.open, 'note', { text: 'n' });

    ids.confirmed = await tcc.begin({ name: 'refund' });
    await tcc.tryBranch(ids.confirmed, 'hold', { amount: 1 });
    await tcc.commit(ids.confirmed);

    ids.stuck = await tcc.begin({ name: 'checkout' });
    await tcc.tryBranch(ids.stuck, 'hold', { amount: 1, failConfirms: 1 });
    await tcc.commit(ids.stuck); // confirm fails once → CONFIRMING, flagged (threshold 1)
    await t.db.query(
      'UPDATE tcc_transaction SET next_retry_at = DATE_ADD(UTC_TIMESTAMP(3), INTERVAL 1 HOUR) WHERE tx_id = ?',
      [ids.stuck],
    );

    ids.toCancel = await tcc.begin({ name: 'checkout', timeoutMs: 600_000 });
    await tcc.tryBranch(ids.toCancel, 'hold', { amount: 1 });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('lists transactions newest first with the contract fields, filtered and paged', async () => {
    const all = await t.request('GET', '/v1/admin/transactions');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ page: 1, pageSize: 50, total: 4 });
    expect(all.body.items.map((i: { txId: string }) => i.txId)).toEqual([
      ids.toCancel,
      ids.stuck,
      ids.confirmed,
      ids.open,
    ]);
    const item = all.body.items.find((i: { txId: string }) => i.txId === ids.confirmed);
    for (const key of ['txId', 'name', 'status', 'deadlineAt', 'retryCount', 'lastError', 'createdAt', 'updatedAt'])
      expect(item).toHaveProperty(key);
    expect(item).toMatchObject({ name: 'refund', status: 'CONFIRMED', retryCount: 0, lastError: null });
    expect(new Date(item.deadlineAt).toISOString()).toBe(item.deadlineAt);

    const confirmed = await t.request('GET', '/v1/admin/transactions?status=CONFIRMED');
    expect(confirmed.body.items.map((i: { txId: string }) => i.txId)).toEqual([ids.confirmed]);
    const checkout = await t.request('GET', '/v1/admin/transactions?name=checkout&status=TRYING');
    expect(checkout.body.items.map((i: { txId: string }) => i.txId)).toEqual([ids.toCancel, ids.open]);
    const paged = await t.request('GET', '/v1/admin/transactions?page=2&pageSize=1');
    expect(paged.body).toMatchObject({ page: 2, pageSize: 1, total: 4, items: [{ txId: ids.stuck }] });
  });

  it('shows a transaction that keeps failing as flagged, with its error and retry count', async () => {
    const flagged = await t.request('GET', '/v1/admin/transactions?flagged=true');
    expect(flagged.status).toBe(200);
    expect(flagged.body.items).toHaveLength(1);
    expect(flagged.body.items[0]).toMatchObject({
      txId: ids.stuck,
      status: 'CONFIRMING',
      retryCount: 1,
      flagged: true,
    });
    expect(flagged.body.items[0].lastError).toContain('confirm failure 1 of 1');
  });

  it('gets one transaction with its branches', async () => {
    const res = await t.request('GET', `/v1/admin/transactions/${ids.open}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ txId: ids.open, name: 'checkout', status: 'TRYING', retryCount: 0 });
    expect(res.body.branches).toEqual([
      expect.objectContaining({
        branchId: `${ids.open}:hold`,
        participant: 'hold',
        status: 'TRIED',
        attempts: 1,
        lastError: null,
      }),
      expect.objectContaining({
        branchId: `${ids.open}:note`,
        participant: 'note',
        status: 'TRIED',
        attempts: 1,
        lastError: null,
      }),
    ]);
  });

  it('retries a stuck transaction now, ignoring its backoff', async () => {
    const res = await t.request('POST', `/v1/admin/transactions/${ids.stuck}/retry`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ txId: ids.stuck, status: 'CONFIRMED', lastError: null });
    expect(res.body.branches[0]).toMatchObject({ status: 'CONFIRMED' });
    // retrying a finished or still-open tx changes nothing
    expect((await t.request('POST', `/v1/admin/transactions/${ids.confirmed}/retry`)).body.status).toBe('CONFIRMED');
    expect((await t.request('POST', `/v1/admin/transactions/${ids.open}/retry`)).body.status).toBe('TRYING');
  });

  it('cancels an open transaction (reason OPERATOR), idempotently', async () => {
    probe.reset();
    const res = await t.request('POST', `/v1/admin/transactions/${ids.toCancel}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ txId: ids.toCancel, status: 'CANCELLED', cancelReason: 'OPERATOR' });
    expect(res.body.branches[0]).toMatchObject({ status: 'CANCELLED' });
    const [effect] = await t.db.query(
      "SELECT cancel_reason AS r FROM test_effect WHERE tx_id = ? AND phase = 'cancel'",
      [ids.toCancel],
    );
    expect(effect.r).toBe('OPERATOR');
    const again = await t.request('POST', `/v1/admin/transactions/${ids.toCancel}/cancel`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('CANCELLED');
    expect(probe.afterCancel.get(`${ids.toCancel}:hold`)).toBe(1);
  });

  it('refuses to cancel a CONFIRMED or CONFIRMING transaction with 409 CONFLICT', async () => {
    const confirmed = await t.request('POST', `/v1/admin/transactions/${ids.confirmed}/cancel`);
    expect(confirmed.status).toBe(409);
    expect(confirmed.body).toMatchObject({
      statusCode: 409,
      error: 'CONFLICT',
      details: { currentStatus: 'CONFIRMED' },
    });

    const confirming = await tcc.begin({ name: 'checkout' });
    await tcc.tryBranch(confirming, 'hold', { amount: 1, failConfirms: 1 });
    expect((await tcc.commit(confirming)).status).toBe('CONFIRMING');
    const res = await t.request('POST', `/v1/admin/transactions/${confirming}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.details).toMatchObject({ currentStatus: 'CONFIRMING' });
  });

  it('answers 404 for an unknown transaction on every route', async () => {
    for (const [method, path] of [
      ['GET', '/v1/admin/transactions/01UNKNOWN'],
      ['POST', '/v1/admin/transactions/01UNKNOWN/retry'],
      ['POST', '/v1/admin/transactions/01UNKNOWN/cancel'],
    ]) {
      const res = await t.request(method, path);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
    }
  });

  it('answers 400 for bad input', async () => {
    for (const url of [
      '/v1/admin/transactions?status=DONE',
      '/v1/admin/transactions?pageSize=0',
      '/v1/admin/transactions?pageSize=201',
      '/v1/admin/transactions?page=abc',
      '/v1/admin/transactions?name=%27%3B%20DROP',
      '/v1/admin/transactions?flagged=maybe',
      '/v1/admin/transactions?color=red',
      `/v1/admin/transactions/${'x'.repeat(65)}`,
      '/v1/admin/transactions/bad%20id',
    ]) {
      const res = await t.request('GET', url);
      expect({ url, status: res.status, error: res.body?.error }).toEqual({
        url,
        status: 400,
        error: 'VALIDATION_FAILED',
      });
    }
    expect((await t.request('POST', '/v1/admin/transactions/bad%20id/retry')).status).toBe(400);
    expect((await t.request('POST', '/v1/admin/transactions/bad%20id/cancel')).status).toBe(400);
  });

  it('needs the admin scope', async () => {
    expect((await t.request('GET', '/v1/admin/transactions', { as: 'storefront' })).status).toBe(403);
    expect((await t.request('GET', '/v1/admin/transactions', { as: 'none' })).status).toBe(401);
  });

  it('exports TCC metrics', async () => {
    const res = await t.request('GET', '/metrics', { as: 'none' });
    expect(res.status).toBe(200);
    const text = String(res.body);
    expect(text).toMatch(/tcc_transactions_total\{name="refund",status="CONFIRMED"\} \d+/);
    expect(text).toMatch(/tcc_branch_failures_total\{participant="hold",phase="confirm"\} \d+/);
    expect(text).toContain('tcc_oldest_pending_tx_age_seconds');
    expect(text).toContain('tcc_retries_total');
  });
});
