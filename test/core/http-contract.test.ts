import { ProbeModule } from '../helpers/probe.module';
import { startTestApp, TestApp } from '../helpers/test-app';

/** The error shape and auth rules of the REST contract (docs/api.md#conventions), through the real app. */
describe('HTTP contract: errors and auth', () => {
  let t: TestApp;
  const product = { sku: 'ERR-1', name: 'Widget', category: 'tools', priceCents: 1000 };

  beforeAll(async () => {
    t = await startTestApp({ env: { BODY_LIMIT_BYTES: '2048' }, extraModules: [ProbeModule] });
  });
  afterAll(() => t.close());

  const expectErrorShape = (body: any, status: number, code: string) => {
    expect(body).toEqual(expect.objectContaining({ statusCode: status, error: code, message: expect.any(String) }));
    expect(Object.keys(body).every((k) => ['statusCode', 'error', 'message', 'details'].includes(k))).toBe(true);
  };

  describe('auth', () => {
    it('answers 401 without a key', async () => {
      const res = await t.request('GET', '/v1/admin/products', { as: 'none' });
      expect(res.status).toBe(401);
      expectErrorShape(res.body, 401, 'UNAUTHORIZED');
    });

    it('answers 401 for an unknown key and for a malformed header', async () => {
      for (const authorization of ['Bearer nope-not-a-key', 'Basic abc', 'Bearer', '']) {
        const res = await t.request('GET', '/v1/products', { as: 'none', headers: { authorization } });
        expect(res.status).toBe(401);
        expectErrorShape(res.body, 401, 'UNAUTHORIZED');
      }
    });

    it('answers 403 when the scope is wrong, either way round', async () => {
      const adminOnStorefront = await t.request('GET', '/v1/products', { as: 'admin' });
      expect(adminOnStorefront.status).toBe(403);
      expectErrorShape(adminOnStorefront.body, 403, 'FORBIDDEN');
      const storefrontOnAdmin = await t.request('GET', '/v1/admin/products', { as: 'storefront' });
      expect(storefrontOnAdmin.status).toBe(403);
      expectErrorShape(storefrontOnAdmin.body, 403, 'FORBIDDEN');
    });

    it('serves health, metrics and docs without a key', async () => {
      expect((await t.request('GET', '/health', { as: 'none' })).status).toBe(200);
      expect((await t.request('GET', '/metrics', { as: 'none' })).status).toBe(200);
      const docs = await t.request('GET', '/docs-json', { as: 'none' });
      expect(docs.status).toBe(200);
      expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/v1/products', '/v1/admin/products']));
    });

    it('does not echo the key or other users in errors', async () => {
      const res = await t.request('GET', '/v1/products', {
        as: 'none',
        headers: { authorization: 'Bearer secret-guess-123' },
      });
      expect(JSON.stringify(res.body)).not.toContain('secret-guess-123');
    });
  });

  describe('errors', () => {
    it('answers malformed JSON with 400 VALIDATION_FAILED', async () => {
      const res = await t.request('POST', '/v1/admin/products', {
        rawBody: '{"sku": "A',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
    });

    it('refuses unknown fields with 400', async () => {
      const res = await t.request('POST', '/v1/admin/products', { body: { ...product, colour: 'red' } });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
      expect(res.body.message).toContain('colour');
    });

    it('refuses wrong types with 400 and lists each problem', async () => {
      const res = await t.request('POST', '/v1/admin/products', { body: { ...product, priceCents: '10', name: 5 } });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
      expect(res.body.details.problems.length).toBeGreaterThanOrEqual(2);
    });

    it.each([['null'], ['[]'], ['"text"'], ['42'], ['{}']])('answers a body of %s with 400, never 5xx', async (raw) => {
      const res = await t.request('POST', '/v1/admin/products', {
        rawBody: raw,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
    });

    it('answers an unknown route with 404 NOT_FOUND', async () => {
      const res = await t.request('GET', '/v1/nothing-here');
      expect(res.status).toBe(404);
      expectErrorShape(res.body, 404, 'NOT_FOUND');
    });

    it('answers an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await t.request('POST', '/v1/admin/products', { body: { ...product, name: 'x'.repeat(5000) } });
      expect(res.status).toBe(413);
      expectErrorShape(res.body, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('answers a wrong content type with 415 in the same shape', async () => {
      const res = await t.request('POST', '/v1/admin/products', {
        rawBody: 'sku=A',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status).toBe(415);
      expectErrorShape(res.body, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('carries a request id on every response', async () => {
      const res = await t.request('GET', '/v1/nothing-here');
      expect(res.headers['x-request-id']).toEqual(expect.any(String));
      const given = await t.request('GET', '/health', { headers: { 'x-request-id': 'trace-123' } });
      expect(given.headers['x-request-id']).toBe('trace-123');
    });
  });

  describe('X-User-Id', () => {
    it('is required where a user is involved, and validated', async () => {
      for (const user of [undefined, 'has space', 'x'.repeat(65), 'semi;colon']) {
        const res = await t.request('GET', '/__probe/user', { user });
        expect(res.status).toBe(400);
        expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
      }
    });
  });
});
