/*
 * npm run bench — throughput and latency of the hot paths of a RUNNING service (start it first:
 * npm start), under a real load generator (autocannon: BENCH_CONCURRENCY keep-alive connections,
 * each sending its next request as soon as the previous one is answered).
 *
 *   1. flood: POST /v1/orders for one sku with BENCH_UNITS units for BENCH_DURATION seconds: a
 *      flash sale, the units sell in the first moments and the rest are refusals;
 *   2. checkout: the same on a sku with 1,000,000 units: every order succeeds;
 *   3. pay: the orders the checkout phase placed (at most BENCH_PAYS), paid from the wallet of
 *      their user, credited first through the admin API.
 *
 * Every request carries a fresh Idempotency-Key and one of BENCH_USERS user ids. Prints requests/s,
 * p50 and p99 per phase, then checks the flood sold exactly its units (never more: the stock row
 * says so) and the audit is clean (exit 2 otherwise). When the service, MariaDB and Redis run on
 * this machine (Linux), it also prints the CPU each of them and the load generator spent per
 * request in each phase (scripts/process-cpu.ts). Env: BASE_URL, ADMIN_KEY, STOREFRONT_KEY, BENCH_DURATION (10),
 * BENCH_CONCURRENCY (64), BENCH_USERS (5000), BENCH_UNITS (1000), BENCH_PAYS (10000).
 */
import { randomUUID } from 'crypto';
import { BASE_URL, call, inBatches, must, positiveEnv, STOREFRONT_KEY } from './http-client';
import { LoadOptions, LoadRequest, LoadResult, runLoad } from './load';
import { benchProcesses, cpuPerRequest, snapshot } from './process-cpu';
import { sleep } from './sleep';

const DURATION = positiveEnv('BENCH_DURATION', 10);
const CONCURRENCY = positiveEnv('BENCH_CONCURRENCY', 64);
const USERS = positiveEnv('BENCH_USERS', 5000);
const FLOOD_UNITS = positiveEnv('BENCH_UNITS', 1000);
const PAYS = positiveEnv('BENCH_PAYS', 10_000);
const CHECKOUT_UNITS = 1_000_000;
const PRICE_CENTS = 100;
const RUN = Date.now().toString(36).toUpperCase();

interface Placed {
  orderId: string;
  userId: string;
}

const userOf = (i: number) => `bench-${RUN}-u${i % USERS}`;

/** POST /v1/orders of one unit of `sku`, as user i % USERS, with a fresh Idempotency-Key. */
function checkoutRequest(sku: string, i: number): LoadRequest {
  return {
    method: 'POST',
    path: '/v1/orders',
    headers: {
      authorization: `Bearer ${STOREFRONT_KEY}`,
      'content-type': 'application/json',
      'x-user-id': userOf(i),
      'idempotency-key': randomUUID(),
    },
    body: JSON.stringify({ items: [{ sku, qty: 1 }] }),
  };
}

function payRequest(order: Placed): LoadRequest {
  return {
    method: 'POST',
    path: `/v1/orders/${order.orderId}/pay`,
    headers: {
      authorization: `Bearer ${STOREFRONT_KEY}`,
      'content-type': 'application/json',
      'x-user-id': order.userId,
      'idempotency-key': randomUUID(),
    },
    body: JSON.stringify({ method: 'WALLET' }),
  };
}

async function productWithStock(name: string, units: number): Promise<string> {
  const sku = `BENCH-${RUN}-${name}`;
  await must(
    'create product',
    call('POST', '/v1/admin/products', {
      as: 'admin',
      body: { sku, name: `Bench ${name}`, category: 'bench', priceCents: PRICE_CENTS },
    }),
  );
  await must(
    'inbound',
    call('POST', '/v1/admin/stock/inbound', {
      as: 'admin',
      idempotent: true,
      body: { sku, warehouse: 'main', qty: units },
    }),
  );
  return sku;
}

async function stockOf(sku: string): Promise<{ onHand: number; reserved: number }> {
  const page = await must(
    'stock',
    call('GET', `/v1/admin/stock?sku=${encodeURIComponent(sku)}&warehouse=main`, { as: 'admin' }),
  );
  return page.items[0];
}

/** The local processes whose CPU each phase reports (none when the service runs elsewhere). */
const processes = benchProcesses(BASE_URL);
const cpuLines: string[] = [];

/** Runs a phase's load and notes the CPU each local process spent per request meanwhile. */
async function measured(phase: string, options: LoadOptions): Promise<LoadResult> {
  const before = snapshot(processes);
  const result = await runLoad(options);
  const line = cpuPerRequest(before, snapshot(processes), result.requests);
  if (line) cpuLines.push(`${phase}: ${line}`);
  return result;
}

function report(phase: string, r: LoadResult): void {
  const statuses = Object.entries(r.byStatus)
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');
  console.log(
    `${phase.padEnd(9)} ${String(r.requests).padStart(8)} ${r.rps.toFixed(0).padStart(7)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)}   ${statuses}${r.errors ? `  socket errors ${r.errors}` : ''}`,
  );
}

async function main(): Promise<void> {
  console.log(
    `bench ${RUN} against ${BASE_URL}: autocannon, ${CONCURRENCY} connections, ${USERS} users, ${DURATION} s per timed phase`,
  );
  const floodSku = await productWithStock('FLOOD', FLOOD_UNITS);
  const checkoutSku = await productWithStock('STOCKED', CHECKOUT_UNITS);
  await sleep(1500); // longer than the catalogue cache, so every instance sees both products
  console.log(`\nphase     requests   req/s  p50 ms   p99 ms   HTTP statuses`);

  const flood = await measured('flood', {
    baseUrl: BASE_URL,
    connections: CONCURRENCY,
    durationSec: DURATION,
    next: (i) => checkoutRequest(floodSku, i),
  });
  report('flood', flood);

  const placed: Placed[] = [];
  const checkout = await measured('checkout', {
    baseUrl: BASE_URL,
    connections: CONCURRENCY,
    durationSec: DURATION,
    next: (i) => checkoutRequest(checkoutSku, i),
    onResponse: (status, body) => {
      if (status === 201 && placed.length < PAYS) {
        const order = JSON.parse(body) as Placed;
        placed.push({ orderId: order.orderId, userId: order.userId });
      }
    },
  });
  report('checkout', checkout);

  // Enough in every payer's wallet for all their orders (not measured).
  const ordersPerUser = new Map<string, number>();
  for (const o of placed) ordersPerUser.set(o.userId, (ordersPerUser.get(o.userId) ?? 0) + 1);
  await inBatches([...ordersPerUser], 16, ([userId, n]) =>
    must(
      'credit wallet',
      call('POST', `/v1/admin/wallets/${userId}/credit`, {
        as: 'admin',
        idempotent: true,
        body: { amountCents: n * PRICE_CENTS },
      }),
    ),
  );
  const pay = placed.length
    ? await measured('pay', {
        baseUrl: BASE_URL,
        connections: CONCURRENCY,
        amount: placed.length,
        next: (i) => payRequest(placed[i % placed.length]),
      })
    : undefined;
  if (pay) report('pay', pay);

  // The service's count, not the client's: orders still in flight when a timed phase ended were
  // placed but never counted by the load generator.
  const sold = (await stockOf(floodSku)).reserved;
  const audit = await must('audit', call('GET', '/v1/admin/audit', { as: 'admin' }));
  console.log(
    `\nflood: ${sold} of ${FLOOD_UNITS} units sold (reserved by orders; ${flood.byStatus['201'] ?? 0} answered 201 within the phase)`,
  );
  console.log(
    `checkout: ${checkout.byStatus['201'] ?? 0} of ${checkout.requests} answered 201; pay: ${pay?.byStatus['200'] ?? 0} of ${placed.length} paid`,
  );
  // Which process bounds a phase: on one machine they share its cores (docs/performance.md#what-bounds-it-here).
  if (cpuLines.length) console.log(`\n${cpuLines.join('\n')}`);
  console.log(`audit ok: ${audit.ok}${audit.ok ? '' : ` ${JSON.stringify(audit.violations).slice(0, 500)}`}`);
  if (sold !== FLOOD_UNITS || !audit.ok) process.exit(2);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
