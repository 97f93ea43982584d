import { ulid } from 'ulid';
import { startTestApp, TestApp } from '../helpers/test-app';

/** Admin stock operations over HTTP: contract shapes, 404/409/400, idempotency, ledger, alerts. */
describe('admin stock endpoints', () => {
  let t: TestApp;
  const key = () => ulid();

  const inbound = (sku: string, qty: number, warehouse = 'main', idempotencyKey = key()) =>
    t.request('POST', '/v1/admin/stock/inbound', { body: { sku, warehouse, qty }, idempotencyKey });

  beforeAll(async () => {
    t = await startTestApp();
    for (const sku of ['A-1', 'B-1', 'C-1', 'T-1', 'L-1', 'D-1']) {
      const res = await t.request('POST', '/v1/admin/products', {
        body: { sku, name: sku, category: 'c', priceCents: 100 },
      });
      expect(res.status).toBe(201);
    }
    expect((await t.request('POST', '/v1/admin/warehouses', { body: { code: 'east', name: 'East' } })).status).toBe(
      201,
    );
  });

  afterAll(async () => {
    await t?.close();
  });

  it('inbound creates the row and returns the Stock shape', async () => {
    const res = await inbound('A-1', 10);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      sku: 'A-1',
      warehouse: 'main',
      onHand: 10,
      reserved: 0,
      available: 10,
      threshold: 0,
      low: false,
    });
  });

  it('applies a replayed Idempotency-Key once and replays the first response', async () => {
    const k = key();
    const first = await inbound('B-1', 5, 'main', k);
    const again = await inbound('B-1', 5, 'main', k);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const [row] = await t.db.query(`SELECT on_hand FROM stock WHERE sku = 'B-1' AND warehouse = 'main'`);
    expect(Number(row.on_hand)).toBe(5);
    const movements = await t.request('GET', '/v1/admin/stock/movements?sku=B-1');
    expect(movements.body.total).toBe(1);
  });

  it('applies concurrent duplicates of one Idempotency-Key once', async () => {
    await inbound('D-1', 50);
    const k = key();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.request('POST', '/v1/admin/stock/outbound', {
          body: { sku: 'D-1', warehouse: 'main', qty: 5 },
          idempotencyKey: k,
        }),
      ),
    );
    expect(results.every((r) => r.status === 200 || (r.status === 409 && r.body.error === 'CONFLICT'))).toBe(true);
    expect(results.filter((r) => r.status === 200).every((r) => r.body.onHand === 45)).toBe(true);
    const [row] = await t.db.query(`SELECT on_hand FROM stock WHERE sku = 'D-1' AND warehouse = 'main'`);
    expect(Number(row.on_hand)).toBe(45);
  });

  it('creates the row on a stocktake of a product never received', async () => {
    const res = await t.request('POST', '/v1/admin/stock/stocktake', {
      body: { sku: 'D-1', warehouse: 'east', countedQty: 12 },
      idempotencyKey: key(),
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      sku: 'D-1',
      warehouse: 'east',
      onHand: 12,
      reserved: 0,
      available: 12,
      threshold: 0,
      low: false,
    });
  });

  it('requires an Idempotency-Key on every stock mutation', async () => {
    const res = await t.request('POST', '/v1/admin/stock/inbound', { body: { sku: 'A-1', warehouse: 'main', qty: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_FAILED');
  });

  it('refuses an outbound above available with 409 INSUFFICIENT_STOCK and changes nothing', async () => {
    await inbound('C-1', 3);
    const res = await t.request('POST', '/v1/admin/stock/outbound', {
      body: { sku: 'C-1', warehouse: 'main', qty: 4 },
      idempotencyKey: key(),
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ statusCode: 409, error: 'INSUFFICIENT_STOCK' });
    const ok = await t.request('POST', '/v1/admin/stock/outbound', {
      body: { sku: 'C-1', warehouse: 'main', qty: 3, reference: 'ship-1' },
      idempotencyKey: key(),
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ onHand: 0, available: 0 });
    const movements = await t.request('GET', '/v1/admin/stock/movements?sku=C-1&warehouse=main');
    expect(movements.body.items.map((m: { reason: string }) => m.reason)).toEqual(['OUTBOUND', 'INBOUND']);
    expect(movements.body.items[0]).toMatchObject({ ref: 'ship-1', deltaOnHand: -3, deltaReserved: 0 });
  });

  it('refuses a stocktake below reserved with 409 CONFLICT and records an accepted one in the ledger', async () => {
    await inbound('T-1', 10);
    await t.db.query(`UPDATE stock SET reserved = 4 WHERE sku = 'T-1' AND warehouse = 'main'`);
    const low = await t.request('POST', '/v1/admin/stock/stocktake', {
      body: { sku: 'T-1', warehouse: 'main', countedQty: 3 },
      idempotencyKey: key(),
    });
    expect(low.status).toBe(409);
    expect(low.body.error).toBe('CONFLICT');
    const ok = await t.request('POST', '/v1/admin/stock/stocktake', {
      body: { sku: 'T-1', warehouse: 'main', countedQty: 7 },
      idempotencyKey: key(),
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ onHand: 7, reserved: 4, available: 3 });
    const [m] = (await t.request('GET', '/v1/admin/stock/movements?sku=T-1')).body.items;
    expect(m).toMatchObject({ reason: 'STOCKTAKE', deltaOnHand: -3 });
    await t.db.query(`UPDATE stock SET reserved = 0 WHERE sku = 'T-1' AND warehouse = 'main'`);
  });

  it('answers 404 for an unknown sku or warehouse', async () => {
    const sku = await inbound('NOPE-1', 1);
    expect(sku.status).toBe(404);
    expect(sku.body.error).toBe('NOT_FOUND');
    const wh = await inbound('A-1', 1, 'nowhere');
    expect(wh.status).toBe(404);
    const transfer = await t.request('POST', '/v1/admin/stock/transfer', {
      body: { sku: 'A-1', from: 'main', to: 'nowhere', qty: 1 },
      idempotencyKey: key(),
    });
    expect(transfer.status).toBe(404);
  });

  it('transfers atomically and refuses more than available with 409', async () => {
    const res = await t.request('POST', '/v1/admin/stock/transfer', {
      body: { sku: 'A-1', from: 'main', to: 'east', qty: 4 },
      idempotencyKey: key(),
    });
    expect(res.status).toBe(200);
    expect(res.body.from).toMatchObject({ warehouse: 'main', onHand: 6 });
    expect(res.body.to).toMatchObject({ warehouse: 'east', onHand: 4 });
    const tooMuch = await t.request('POST', '/v1/admin/stock/transfer', {
      body: { sku: 'A-1', from: 'east', to: 'main', qty: 5 },
      idempotencyKey: key(),
    });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error).toBe('INSUFFICIENT_STOCK');
  });

  it('opens a low-stock alert when available crosses below the threshold and resolves it when stock returns', async () => {
    await inbound('L-1', 10);
    const th = await t.request('PUT', '/v1/admin/stock/threshold', {
      body: { sku: 'L-1', warehouse: 'main', threshold: 5 },
      idempotencyKey: key(),
    });
    expect(th.status).toBe(200);
    expect(th.body).toMatchObject({ threshold: 5, low: false });
    expect((await t.request('GET', '/v1/admin/alerts?state=OPEN')).body.total).toBe(0);

    await t.request('POST', '/v1/admin/stock/outbound', {
      body: { sku: 'L-1', warehouse: 'main', qty: 6 },
      idempotencyKey: key(),
    });
    await t.request('POST', '/v1/admin/stock/outbound', {
      body: { sku: 'L-1', warehouse: 'main', qty: 1 },
      idempotencyKey: key(),
    });
    const open = await t.request('GET', '/v1/admin/alerts?state=OPEN');
    expect(open.body.total).toBe(1);
    expect(open.body.items[0]).toMatchObject({
      sku: 'L-1',
      warehouse: 'main',
      available: 4,
      threshold: 5,
      state: 'OPEN',
      resolvedAt: null,
    });
    const lowOnly = await t.request('GET', '/v1/admin/stock?lowOnly=true');
    expect(lowOnly.body.items.map((s: { sku: string }) => s.sku)).toEqual(['L-1']);

    await inbound('L-1', 2);
    expect((await t.request('GET', '/v1/admin/alerts?state=OPEN')).body.total).toBe(0);
    const resolved = await t.request('GET', '/v1/admin/alerts?state=RESOLVED');
    expect(resolved.body.items[0]).toMatchObject({ sku: 'L-1', state: 'RESOLVED' });
    expect(resolved.body.items[0].resolvedAt).toEqual(expect.any(String));
  });

  it('lists stock as a page filtered by sku and warehouse', async () => {
    const res = await t.request('GET', '/v1/admin/stock?sku=A-1&page=1&pageSize=10');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 1, pageSize: 10, total: 2 });
    expect(res.body.items.map((s: { warehouse: string }) => s.warehouse)).toEqual(['east', 'main']);
  });

  it('shows available in the catalogue', async () => {
    const res = await t.request('GET', '/v1/products/A-1');
    expect(res.body.available).toBe(6);
  });

  const badBodies: Array<[string, string, unknown]> = [
    ['POST', '/v1/admin/stock/inbound', { sku: 'A-1', warehouse: 'main', qty: 0 }],
    ['POST', '/v1/admin/stock/inbound', { sku: 'A-1', warehouse: 'main', qty: 1.5 }],
    ['POST', '/v1/admin/stock/inbound', { sku: 'A-1', warehouse: 'main', qty: '3' }],
    ['POST', '/v1/admin/stock/inbound', { sku: 'A-1', warehouse: 'main', qty: 1e12 }],
    ['POST', '/v1/admin/stock/inbound', { sku: '', warehouse: 'main', qty: 1 }],
    ['POST', '/v1/admin/stock/inbound', { sku: 'A-1', warehouse: 'm a i n', qty: 1 }],
    ['POST', '/v1/admin/stock/inbound', { sku: 'A-1', warehouse: 'main', qty: 1, extra: true }],
    ['POST', '/v1/admin/stock/inbound', { sku: 'A-1', warehouse: 'main', qty: 1, reference: '' }],
    ['POST', '/v1/admin/stock/outbound', { sku: 'A-1', warehouse: 'main', qty: -1 }],
    ['POST', '/v1/admin/stock/outbound', { sku: 'A-1', qty: 1 }],
    ['POST', '/v1/admin/stock/stocktake', { sku: 'A-1', warehouse: 'main', countedQty: -1 }],
    ['POST', '/v1/admin/stock/stocktake', { sku: 'A-1', warehouse: 'main' }],
    ['POST', '/v1/admin/stock/transfer', { sku: 'A-1', from: 'main', to: 'main', qty: 1 }],
    ['POST', '/v1/admin/stock/transfer', { sku: 'A-1', from: 'main', qty: 1 }],
    ['POST', '/v1/admin/stock/transfer', { sku: 'A-1', from: 'main', to: 'east', qty: null }],
    ['PUT', '/v1/admin/stock/threshold', { sku: 'A-1', warehouse: 'main', threshold: -5 }],
    ['PUT', '/v1/admin/stock/threshold', { sku: 'A-1', warehouse: 'main', threshold: 'x' }],
    ['POST', '/v1/admin/stock/inbound', [1, 2]],
    ['POST', '/v1/admin/stock/inbound', 'just a string'],
  ];
  it.each(badBodies)('%s %s with %j → 400 in the contract shape', async (method, url, body) => {
    const res = await t.request(method, url, { body, idempotencyKey: key() });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'VALIDATION_FAILED', message: expect.any(String) });
  });

  it('answers 400 for malformed JSON and bad query parameters', async () => {
    const raw = await t.request('POST', '/v1/admin/stock/inbound', {
      rawBody: '{"sku": "A-1",',
      headers: { 'content-type': 'application/json' },
      idempotencyKey: key(),
    });
    expect(raw.status).toBe(400);
    expect(raw.body.error).toBe('VALIDATION_FAILED');
    for (const url of [
      '/v1/admin/stock?lowOnly=maybe',
      '/v1/admin/stock?pageSize=500',
      '/v1/admin/stock/movements?page=0',
      '/v1/admin/alerts?state=CLOSED',
    ]) {
      const res = await t.request('GET', url);
      expect([url, res.status, res.body.error]).toEqual([url, 400, 'VALIDATION_FAILED']);
    }
  });

  it('needs the admin scope', async () => {
    const res = await t.request('POST', '/v1/admin/stock/inbound', {
      body: { sku: 'A-1', warehouse: 'main', qty: 1 },
      idempotencyKey: key(),
      as: 'storefront',
    });
    expect(res.status).toBe(403);
  });

  it('keeps the audit clean after all of the above', async () => {
    const res = await t.request('GET', '/v1/admin/audit');
    expect(res.body.violations.filter((v: { invariant: number }) => v.invariant <= 3)).toEqual([]);
  });
});
