import { readFileSync } from 'fs';
import { join } from 'path';
import { startTestApp, TestApp } from '../helpers/test-app';

/** /docs-json documents every endpoint: a summary, a tag, and a schema for every JSON body. */
describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: any;

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.request('GET', '/docs-json', { as: 'none' })).body;
  });
  afterAll(() => t?.close());

  it('gives every operation a summary and a tag', () => {
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!op.summary || !op.tags?.length) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('describes the request body of every operation that takes one', () => {
    const bodyless = new Set([
      '/v1/admin/transactions/{txId}/retry',
      '/v1/admin/transactions/{txId}/cancel',
      '/v1/admin/reconcile',
    ]);
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        if (
          ['post', 'put', 'patch'].includes(method) &&
          !bodyless.has(path) &&
          !op.requestBody?.content?.['application/json']?.schema
        ) {
          missing.push(`${method.toUpperCase()} ${path}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('covers every route of the REST contract in docs/api.md', () => {
    const has = (method: string, path: string) => Boolean(doc.paths[path]?.[method]);
    const contract: Array<[string, string]> = [
      ['get', '/v1/products'],
      ['get', '/v1/products/{sku}'],
      ['post', '/v1/orders'],
      ['get', '/v1/orders'],
      ['get', '/v1/orders/{orderId}'],
      ['post', '/v1/orders/{orderId}/pay'],
      ['post', '/v1/orders/{orderId}/cancel'],
      ['get', '/v1/wallet'],
      ['get', '/v1/coupons'],
      ['post', '/v1/payments/callback'],
      ['post', '/v1/admin/products'],
      ['get', '/v1/admin/products'],
      ['patch', '/v1/admin/products/{sku}'],
      ['post', '/v1/admin/warehouses'],
      ['get', '/v1/admin/warehouses'],
      ['get', '/v1/admin/stock'],
      ['post', '/v1/admin/stock/inbound'],
      ['post', '/v1/admin/stock/outbound'],
      ['post', '/v1/admin/stock/stocktake'],
      ['post', '/v1/admin/stock/transfer'],
      ['put', '/v1/admin/stock/threshold'],
      ['get', '/v1/admin/stock/movements'],
      ['get', '/v1/admin/alerts'],
      ['post', '/v1/admin/coupons'],
      ['post', '/v1/admin/coupons/{code}/issue'],
      ['post', '/v1/admin/wallets/{userId}/credit'],
      ['get', '/v1/admin/transactions'],
      ['get', '/v1/admin/transactions/{txId}'],
      ['post', '/v1/admin/transactions/{txId}/retry'],
      ['post', '/v1/admin/transactions/{txId}/cancel'],
      ['post', '/v1/admin/reconcile'],
      ['get', '/v1/admin/audit'],
      ['get', '/health'],
      ['get', '/metrics'],
    ];
    expect(contract.filter(([m, p]) => !has(m, p))).toEqual([]);
  });

  it('lists in docs/api.md exactly the routes the OpenAPI document has', () => {
    const text = readFileSync(join(__dirname, '../../docs/api.md'), 'utf8');
    // Served, but not as OpenAPI operations: the UI and document themselves, and the WebSocket upgrade.
    const notInOpenApi = new Set(['GET /docs', 'GET /docs-json', 'GET /v1/stock/ws']);
    const documented = new Set(
      [...text.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/[A-Za-z0-9_:/-]*)/g)]
        .map((m) => `${m[1]} ${m[2].replace(/:(\w+)/g, '{$1}')}`)
        .filter((route) => !notInOpenApi.has(route)),
    );
    const served = new Set(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    expect({
      undocumented: [...served].filter((r) => !documented.has(r)),
      unserved: [...documented].filter((r) => !served.has(r)),
    }).toEqual({
      undocumented: [],
      unserved: [],
    });
  });

  it('documents the timestamped signature of the payment callback', () => {
    const header = doc.paths['/v1/payments/callback'].post.parameters.find(
      (p: any) => p.in === 'header' && p.name === 'X-Signature',
    );
    expect(header).toMatchObject({ required: true });
    expect(header.description).toContain(
      't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with PAYMENT_WEBHOOK_SECRET>',
    );
    expect(header.description).toContain('PAYMENT_WEBHOOK_TOLERANCE_SEC');
  });
});
