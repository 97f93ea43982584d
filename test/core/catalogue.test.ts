import { startTestApp, TestApp } from '../helpers/test-app';

describe('catalogue: products and warehouses', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const create = (body: Record<string, unknown>) => t.request('POST', '/v1/admin/products', { body });

  it('creates a product and serves it to the storefront', async () => {
    const res = await create({ sku: 'CAT-1', name: 'Kettle', category: 'kitchen', priceCents: 2599, maxPerUser: 2 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      sku: 'CAT-1',
      name: 'Kettle',
      category: 'kitchen',
      priceCents: 2599,
      status: 'ACTIVE',
      maxPerUser: 2,
      available: 0,
    });
    const read = await t.request('GET', '/v1/products/CAT-1');
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
  });

  it('refuses a duplicate sku with 409 CONFLICT', async () => {
    await create({ sku: 'CAT-DUP', name: 'A', category: 'c', priceCents: 1 });
    const again = await create({ sku: 'CAT-DUP', name: 'B', category: 'c', priceCents: 2 });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('CONFLICT');
  });

  it('lets only one of 10 concurrent creates of one sku win', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => create({ sku: 'CAT-RACE', name: `n${i}`, category: 'c', priceCents: 1 })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
  });

  it.each([
    [{ sku: '', name: 'x', category: 'c', priceCents: 1 }],
    [{ sku: 'bad sku', name: 'x', category: 'c', priceCents: 1 }],
    [{ sku: 'OK-1', name: '', category: 'c', priceCents: 1 }],
    [{ sku: 'OK-1', name: 'x', category: 'c', priceCents: -1 }],
    [{ sku: 'OK-1', name: 'x', category: 'c', priceCents: 1.5 }],
    [{ sku: 'OK-1', name: 'x', category: 'c', priceCents: 1, maxPerUser: 0 }],
    [{ sku: 'OK-1', name: 'x', category: 'c' }],
  ])('refuses bad product input %j with 400', async (body) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_FAILED');
    expect((await t.request('GET', '/v1/products/OK-1')).status).toBe(404);
  });

  it('patches fields and status; inactive products leave the storefront list', async () => {
    await create({ sku: 'CAT-P', name: 'Old', category: 'p', priceCents: 100 });
    const res = await t.request('PATCH', '/v1/admin/products/CAT-P', {
      body: { name: 'New', priceCents: 150, maxPerUser: null, status: 'INACTIVE' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      expect.objectContaining({ name: 'New', priceCents: 150, maxPerUser: null, status: 'INACTIVE' }),
    );
    const list = await t.request('GET', '/v1/products?category=p');
    expect(list.body.items.map((p: { sku: string }) => p.sku)).not.toContain('CAT-P');
    const admin = await t.request('GET', '/v1/admin/products?status=INACTIVE');
    expect(admin.body.items.map((p: { sku: string }) => p.sku)).toContain('CAT-P');
  });

  it('answers PATCH of an unknown sku with 404 and bad PATCH input with 400', async () => {
    expect((await t.request('PATCH', '/v1/admin/products/NOPE', { body: { name: 'x' } })).status).toBe(404);
    expect((await t.request('PATCH', '/v1/admin/products/CAT-1', { body: { status: 'GONE' } })).status).toBe(400);
    expect((await t.request('PATCH', '/v1/admin/products/CAT-1', { body: { sku: 'OTHER' } })).status).toBe(400);
  });

  it('answers PATCH with null for a required field with 400 and changes nothing', async () => {
    await create({ sku: 'CAT-N', name: 'Keep', category: 'n', priceCents: 100 });
    for (const field of ['name', 'category', 'priceCents', 'status', 'sku']) {
      const res = await t.request('PATCH', '/v1/admin/products/CAT-N', { body: { [field]: null } });
      expect({ field, status: res.status, error: res.body.error }).toEqual({
        field,
        status: 400,
        error: 'VALIDATION_FAILED',
      });
    }
    expect((await t.request('GET', '/v1/products/CAT-N')).body).toMatchObject({
      name: 'Keep',
      category: 'n',
      priceCents: 100,
      status: 'ACTIVE',
    });
  });

  it('answers an unknown sku with 404 NOT_FOUND, however long', async () => {
    for (const sku of ['MISSING', 'x'.repeat(200), '%E2%9C%93']) {
      const res = await t.request('GET', `/v1/products/${sku}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('NOT_FOUND');
    }
    const absurd = await t.request('GET', `/v1/products/${'x'.repeat(2000)}`);
    expect(absurd.status).toBe(400);
    expect(absurd.body).toEqual(expect.objectContaining({ statusCode: 400, error: 'VALIDATION_FAILED' }));
    const badEncoding = await t.request('GET', '/v1/products/%E0%A4%A');
    expect(badEncoding.status).toBe(400);
    expect(badEncoding.body.error).toBe('VALIDATION_FAILED');
  });

  it('pages lists and refuses out-of-range page parameters', async () => {
    for (let i = 0; i < 5; i++) await create({ sku: `PG-${i}`, name: 'p', category: 'paged', priceCents: 1 });
    const page = await t.request('GET', '/v1/products?category=paged&page=2&pageSize=2');
    expect(page.status).toBe(200);
    expect(page.body).toEqual({ items: expect.any(Array), page: 2, pageSize: 2, total: 5 });
    expect(page.body.items.map((p: { sku: string }) => p.sku)).toEqual(['PG-2', 'PG-3']);
    const defaults = await t.request('GET', '/v1/products');
    expect(defaults.body.page).toBe(1);
    expect(defaults.body.pageSize).toBe(50);
    for (const q of ['page=0', 'page=-1', 'pageSize=0', 'pageSize=201', 'page=abc', 'pageSize=1.5', 'unknown=1']) {
      const res = await t.request('GET', `/v1/products?${q}`);
      expect([q, res.status]).toEqual([q, 400]);
      expect(res.body.error).toBe('VALIDATION_FAILED');
    }
  });

  it('has a main warehouse from the start and refuses duplicates', async () => {
    const list = await t.request('GET', '/v1/admin/warehouses');
    expect(list.status).toBe(200);
    expect(list.body.map((w: { code: string }) => w.code)).toContain('main');
    const created = await t.request('POST', '/v1/admin/warehouses', { body: { code: 'east', name: 'East' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual(expect.objectContaining({ code: 'east', name: 'East' }));
    expect((await t.request('POST', '/v1/admin/warehouses', { body: { code: 'east', name: 'Again' } })).status).toBe(
      409,
    );
    expect((await t.request('POST', '/v1/admin/warehouses', { body: { code: 'bad code', name: 'x' } })).status).toBe(
      400,
    );
  });

  it('counts requests by route in /metrics', async () => {
    const res = await t.request('GET', '/metrics', { as: 'none' });
    expect(res.status).toBe(200);
    expect(String(res.body)).toMatch(/http_requests_total\{method="GET",route="\/v1\/products\/:sku",status="404"\}/);
    expect(String(res.body)).toContain('http_request_duration_seconds_bucket');
  });
});
