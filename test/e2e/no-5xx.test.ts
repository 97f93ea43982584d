import { startTestApp, TestApp } from '../helpers/test-app';
import { Shop } from './shop';

/**
 * docs/api.md#errors: "No input, however malformed, produces a 5xx." Every route of the OpenAPI document
 * is hit with hostile path parameters, bodies and headers; every answer must be a 4xx (or a
 * success) in the contract's error shape.
 */
describe('no 5xx from any request a client can construct', () => {
  let t: TestApp;
  let routes: Array<{ method: string; path: string }>;

  const hostileParams = ['x', '%00', '..%2F..', 'ü-ß-✓', '0', '-1', 'A'.repeat(64), 'a b', '%E2%9C'];
  const hostileBodies: unknown[] = [
    null,
    [],
    'text',
    0,
    { items: null },
    { items: [{ sku: null, qty: 'NaN' }] },
    { items: [{ sku: 'A', qty: 1e308 }] },
    { items: Array.from({ length: 60 }, (_, i) => ({ sku: `S${i}`, qty: 1 })) },
    { sku: 'x'.repeat(10000), qty: -5, warehouse: {}, amountCents: '1', method: 'BITCOIN', status: 'MAYBE' },
    { userIds: 'u1', code: ['x'], type: 'FIXED', value: Infinity, validFrom: 'yesterday' },
    { countedQty: 2 ** 63, threshold: -0.5, from: 'a', to: 'a', qty: 0 },
    { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } },
    { deep: JSON.parse('['.repeat(200) + ']'.repeat(200)) },
  ];

  beforeAll(async () => {
    // The per-user limit would answer most of this flood with 429 before validation runs.
    t = await startTestApp({ env: { RATE_LIMIT_USER_PER_SEC: '0' } });
    const shop = new Shop(t);
    await shop.product('FUZZ', 100);
    await shop.inbound('FUZZ', 5);
    const docs = await t.request('GET', '/docs-json', { as: 'none' });
    routes = Object.entries(docs.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
    );
  });
  afterAll(() => t?.close());

  it('finds the routes to try in the OpenAPI document', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(routes).toEqual(expect.arrayContaining([{ method: 'POST', path: '/v1/orders' }]));
  });

  it('answers every hostile request below 500, in the error shape', async () => {
    const failures: string[] = [];
    for (const { method, path } of routes) {
      for (const param of hostileParams) {
        const url = path.replace(/\{[^}]+\}/g, param);
        const bodies = method === 'GET' ? [undefined] : hostileBodies;
        for (const body of bodies) {
          const headers: Record<string, string> = { 'x-signature': 'sha256=00' };
          const res = await t.request(method, url, {
            body,
            user: 'fuzz-user',
            idempotencyKey: `fuzz-${Math.random()}`,
            headers,
          });
          if (res.status >= 500)
            failures.push(
              `${method} ${url} ${JSON.stringify(body)?.slice(0, 80)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
            );
          else if (
            res.status >= 400 &&
            !(res.body && typeof res.body.error === 'string' && res.body.statusCode === res.status)
          ) {
            failures.push(
              `${method} ${url} -> ${res.status} not in the error shape: ${JSON.stringify(res.body).slice(0, 200)}`,
            );
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers hostile query strings below 500', async () => {
    const failures: string[] = [];
    const queries = [
      'page=1e309',
      'pageSize=%00',
      'status=__proto__',
      'page[]=1',
      'page=1&page=2',
      'lowOnly=maybe',
      'sku=' + 'x'.repeat(500),
    ];
    for (const { path } of routes.filter((r) => r.method === 'GET' && !r.path.includes('{'))) {
      for (const q of queries) {
        const res = await t.request('GET', `${path}?${q}`, { user: 'fuzz-user' });
        if (res.status >= 500)
          failures.push(`GET ${path}?${q} -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
