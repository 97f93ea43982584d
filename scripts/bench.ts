/*
 * npm run bench — measures the hot paths of a RUNNING service (start it first: npm start).
 *
 *   1. flash-sale checkout: BENCH_ORDERS concurrent-ish POST /v1/orders (BENCH_CONCURRENCY in
 *      flight) from BENCH_USERS users for BENCH_UNITS units: accepted and refused latency;
 *   2. sold out: the same again on the sold-out sku: refusals answered by the gate alone;
 *   3. catalogue: GET /v1/products/:sku.
 *
 * Prints requests/s and latency percentiles per phase. Env: BASE_URL, ADMIN_KEY, STOREFRONT_KEY,
 * BENCH_UNITS (200), BENCH_ORDERS (3000), BENCH_USERS (1000), BENCH_CONCURRENCY (64).
 */
import { call, must, positiveEnv } from './http-client';

const UNITS = positiveEnv('BENCH_UNITS', 200);
const ORDERS = positiveEnv('BENCH_ORDERS', 3000);
const USERS = positiveEnv('BENCH_USERS', 1000);
const CONCURRENCY = positiveEnv('BENCH_CONCURRENCY', 64);
const RUN = Date.now().toString(36).toUpperCase();
const SKU = `BENCH-${RUN}`;

interface Sample {
  status: number;
  ms: number;
}

/** Runs `count` requests with at most CONCURRENCY in flight; returns each one's status and latency. */
async function load(count: number, request: (i: number) => Promise<{ status: number }>): Promise<{ samples: Sample[]; seconds: number }> {
  const samples: Sample[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      const { status } = await request(i);
      samples.push({ status, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  return { samples, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

function report(phase: string, { samples, seconds }: { samples: Sample[]; seconds: number }): void {
  const byStatus = new Map<number, number[]>();
  for (const s of samples) byStatus.set(s.status, [...(byStatus.get(s.status) ?? []), s.ms]);
  console.log(`\n${phase}: ${samples.length} requests in ${seconds.toFixed(2)} s = ${(samples.length / seconds).toFixed(0)} req/s`);
  for (const [status, values] of [...byStatus].sort(([a], [b]) => a - b)) {
    const sorted = values.sort((a, b) => a - b);
    const f = (p: number) => percentile(sorted, p).toFixed(1).padStart(7);
    console.log(`  HTTP ${status}: ${String(values.length).padStart(6)}   p50 ${f(50)} ms   p95 ${f(95)} ms   p99 ${f(99)} ms`);
  }
}

async function main(): Promise<void> {
  await must('create product', call('POST', '/v1/admin/products', { as: 'admin', body: { sku: SKU, name: 'Bench phone', category: 'bench', priceCents: 100 } }));
  await must('inbound', call('POST', '/v1/admin/stock/inbound', { as: 'admin', idempotent: true, body: { sku: SKU, warehouse: 'main', qty: UNITS } }));
  console.log(`bench ${RUN}: ${ORDERS} checkouts for ${UNITS} units of ${SKU}, ${USERS} users, ${CONCURRENCY} in flight`);

  const order = (i: number) =>
    call('POST', '/v1/orders', { as: 'storefront', user: `bench-${RUN}-u${i % USERS}`, idempotent: true, body: { items: [{ sku: SKU, qty: 1 }] } });
  const sale = await load(ORDERS, order);
  report('1. flash-sale checkout (201 sold, 409 refused)', sale);
  const sold = sale.samples.filter((s) => s.status === 201).length;
  report('2. sold out (every request refused before MySQL)', await load(ORDERS, (i) => order(i + ORDERS)));
  report('3. catalogue read', await load(ORDERS, () => call('GET', `/v1/products/${SKU}`, { as: 'storefront' })));

  const audit = await must('audit', call('GET', '/v1/admin/audit', { as: 'admin' }));
  console.log(`\nsold ${sold} of ${UNITS} units; audit ok: ${audit.ok}`);
  if (sold !== UNITS || !audit.ok) process.exit(2);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
