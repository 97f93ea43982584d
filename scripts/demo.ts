/*
 * npm run demo — a short flash sale against a RUNNING service (start it first: npm start).
 *
 * Seeds a small catalogue, stock, wallets and a coupon (names carry a run id, so the demo can
 * run again and again), fires DEMO_ORDERS concurrent checkouts at DEMO_UNITS phones, pays some
 * orders (wallet and one gateway callback), cancels some, leaves the rest to expire, and prints
 * what sold, what was refused and the consistency audit.
 *
 * Env: BASE_URL (http://127.0.0.1:3000), ADMIN_KEY, STOREFRONT_KEY, PAYMENT_WEBHOOK_SECRET (dev
 * defaults), DEMO_UNITS (50), DEMO_ORDERS (500), DEMO_USERS (200).
 */
import { BASE_URL, call, callbackSignature, inBatches, must, positiveEnv as positive } from './http-client';

const UNITS = positive('DEMO_UNITS', 50);
const ORDERS = positive('DEMO_ORDERS', 500);
const USERS = positive('DEMO_USERS', 200);

const RUN = Date.now().toString(36).toUpperCase();
const PHONE = `DEMO-${RUN}-PHONE`;
const CASE = `DEMO-${RUN}-CASE`;
const COUPON = `DEMO${RUN}`;
const PHONE_PRICE = 49_900;
const users = Array.from({ length: USERS }, (_, i) => `demo-${RUN}-u${i}`);
/** Every fourth user holds the coupon and uses it on their first checkout. */
const couponHolders = users.filter((_, i) => i % 4 === 0);

/**
 * On a terminal, one bar redrawn in place. Into a file or a pipe (no TTY), carriage-return frames
 * would flood the log, so it prints a plain line each time another tenth is done.
 */
function progress(label: string, done: number, total: number, extra: string): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${extra}`;
  if (process.stdout.isTTY) {
    process.stdout.write(`\r${line}   `);
    if (done === total) process.stdout.write('\n');
  } else if (Math.floor((done * 10) / total) > Math.floor(((done - 1) * 10) / total)) {
    console.log(line.trimEnd());
  }
}

function tally(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

const euros = (cents: number) => `${(cents / 100).toFixed(2)}`;

async function seed(): Promise<void> {
  console.log(`Seeding run ${RUN}: ${UNITS} × ${PHONE}, 500 × ${CASE}, ${USERS} wallets, coupon ${COUPON}`);
  await must(
    'create phone',
    call('POST', '/v1/admin/products', {
      as: 'admin',
      body: { sku: PHONE, name: 'Flash-sale phone', category: 'demo', priceCents: PHONE_PRICE, maxPerUser: 1 },
    }),
  );
  await must(
    'create case',
    call('POST', '/v1/admin/products', {
      as: 'admin',
      body: { sku: CASE, name: 'Phone case', category: 'demo', priceCents: 1_500 },
    }),
  );
  await must(
    'stock phone',
    call('POST', '/v1/admin/stock/inbound', {
      as: 'admin',
      idempotent: true,
      body: { sku: PHONE, warehouse: 'main', qty: UNITS, reference: `demo ${RUN}` },
    }),
  );
  await must(
    'stock case',
    call('POST', '/v1/admin/stock/inbound', {
      as: 'admin',
      idempotent: true,
      body: { sku: CASE, warehouse: 'main', qty: 500, reference: `demo ${RUN}` },
    }),
  );
  await must(
    'create coupon',
    call('POST', '/v1/admin/coupons', { as: 'admin', body: { code: COUPON, type: 'FIXED', value: 5_000 } }),
  );
  await must(
    'issue coupon',
    call('POST', `/v1/admin/coupons/${COUPON}/issue`, { as: 'admin', body: { userIds: couponHolders } }),
  );
  // Every fifth user is short of money: their pay is refused with 402 and the order stays payable.
  const poor = new Set(users.filter((_, i) => i % 5 === 4));
  await inBatches(users, 20, (u) =>
    must(
      'credit wallet',
      call('POST', `/v1/admin/wallets/${u}/credit`, {
        as: 'admin',
        idempotent: true,
        body: { amountCents: poor.has(u) ? 1_000 : 100_000 },
      }),
    ),
  );
}

interface Placed {
  user: string;
  order: any;
}

async function flashSale(): Promise<{ placed: Placed[]; refused: Map<string, number> }> {
  console.log(
    `\nFlash sale: ${ORDERS} concurrent checkouts for ${UNITS} phones (one per user, a phone case with each)`,
  );
  const placed: Placed[] = [];
  const refused = new Map<string, number>();
  let done = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: ORDERS }, async (_, i) => {
      const user = users[i % USERS];
      const couponCode = i < USERS && i % 4 === 0 ? COUPON : undefined;
      const body = {
        items: [
          { sku: PHONE, qty: 1 },
          { sku: CASE, qty: 1 },
        ],
        ...(couponCode ? { couponCode } : {}),
      };
      const r = await call('POST', '/v1/orders', { as: 'storefront', user, idempotent: true, body }).catch(
        (err: Error) => ({ status: 0, body: { error: err.message } }),
      );
      if (r.status === 201) placed.push({ user, order: r.body });
      else tally(refused, `${r.status} ${r.body?.error ?? ''}`.trim());
      progress('orders', ++done, ORDERS, `sold ${placed.length}, refused ${done - placed.length}`);
    }),
  );
  console.log(`  ${ORDERS} checkouts in ${Date.now() - started} ms`);
  return { placed, refused };
}

async function settle(placed: Placed[]): Promise<Map<string, number>> {
  console.log('\nSettling: 60% pay (one through the gateway callback), 20% cancel, the rest is left to expire');
  const outcomes = new Map<string, number>();
  let done = 0;
  const payCount = Math.round(placed.length * 0.6);
  const cancelCount = Math.round(placed.length * 0.2);
  const work = placed.slice(0, payCount + cancelCount);
  await Promise.all(
    work.map(async ({ user, order }, i) => {
      let outcome: string;
      if (i === 0) {
        // A gateway payment: the callback is HMAC-signed over "<unix seconds>.<raw body>".
        const raw = JSON.stringify({
          paymentId: `gw-${RUN}-1`,
          orderId: order.orderId,
          amountCents: order.payableCents,
          status: 'SUCCEEDED',
        });
        const r = await call('POST', '/v1/payments/callback', {
          raw,
          headers: { 'x-signature': callbackSignature(raw) },
        });
        outcome = r.status === 200 ? `gateway ${r.body.paymentStatus}` : `gateway ${r.status} ${r.body?.error}`;
      } else if (i < payCount) {
        const r = await call('POST', `/v1/orders/${order.orderId}/pay`, {
          as: 'storefront',
          user,
          body: { method: 'WALLET' },
        });
        outcome = r.status === 200 ? `paid (${r.body.status})` : `pay ${r.status} ${r.body?.error}`;
      } else {
        const r = await call('POST', `/v1/orders/${order.orderId}/cancel`, { as: 'storefront', user, body: {} });
        outcome = r.status === 200 ? `cancelled (${r.body.status})` : `cancel ${r.status} ${r.body?.error}`;
      }
      tally(outcomes, outcome);
      progress('settle', ++done, work.length, '');
    }),
  );
  return outcomes;
}

function printMap(title: string, map: Map<string, number>): void {
  console.log(title);
  if (map.size === 0) console.log('  (none)');
  for (const [key, n] of [...map.entries()].sort((a, b) => b[1] - a[1]))
    console.log(`  ${String(n).padStart(5)}  ${key}`);
}

async function main(): Promise<void> {
  const health = await call('GET', '/health').catch((err: Error) => {
    throw new Error(`The service is not reachable at ${BASE_URL} (${err.message}). Start it first: npm start`);
  });
  console.log(`Service at ${BASE_URL}: ${health.body?.status ?? health.status}`);
  await seed();
  const { placed, refused } = await flashSale();
  const outcomes = await settle(placed);

  const stock = await must('read stock', call('GET', `/v1/admin/stock?sku=${PHONE}&warehouse=main`, { as: 'admin' }));
  const phone = stock.items[0];
  const withCoupon = placed.filter((p) => p.order.couponCode).length;
  const revenue = placed.reduce((sum, p) => sum + p.order.payableCents, 0);

  console.log('\n=== What sold ===');
  console.log(
    `  orders placed: ${placed.length} of ${ORDERS} (${UNITS} phones on sale; ${withCoupon} with coupon ${COUPON})`,
  );
  console.log(`  value of the orders placed: ${euros(revenue)} (after coupons)`);
  console.log(`  phone stock now: onHand ${phone.onHand}, reserved ${phone.reserved}, available ${phone.available}`);
  printMap('\n=== Refused at checkout ===', refused);
  printMap('\n=== Pay / cancel ===', outcomes);
  const settled = [...outcomes.entries()]
    .filter(([k]) => /^(paid|cancelled|gateway CAPTURED)/.test(k))
    .reduce((a, [, n]) => a + n, 0);
  console.log(
    `  ${placed.length - settled} orders still unpaid (incl. the 402s): they expire after ORDER_PAYMENT_TIMEOUT_SEC and the recovery job releases their stock`,
  );

  const audit = await must('audit', call('GET', '/v1/admin/audit', { as: 'admin' }));
  console.log('\n=== GET /v1/admin/audit ===');
  console.log(JSON.stringify(audit, null, 2));
  if (!audit.ok) process.exitCode = 2;
}

main().catch((err: unknown) => {
  console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
