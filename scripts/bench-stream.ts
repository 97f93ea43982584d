/*
 * npm run bench:stream — live stock over long connections, on one instance it starts itself
 * (the built server, `npm run build` first) with a database and Redis prefix of its own:
 *
 *   1. BENCH_SSE_CLIENTS (5000) SSE clients follow one sku; server RSS before and after they
 *      connect gives the memory per idle connection;
 *   2. a flash sale of that sku runs at full speed at the same time (autocannon,
 *      BENCH_CONCURRENCY connections, BENCH_DURATION seconds, BENCH_UNITS units);
 *   3. reported: delay from a change's notice on the server (right after its commit, the
 *      `changedAt` of each event) to its arrival at a client, p50/p99; events per second; and
 *      that every client's last value equals MySQL's and that none was ever above the value
 *      before it (the count only falls in a sale);
 *   4. the same with BENCH_WS_CLIENTS (1000) WebSocket clients.
 *
 * Exit 2 when a client ends on a value other than MySQL's. Env: BENCH_SSE_CLIENTS,
 * BENCH_WS_CLIENTS, BENCH_CLIENT_WORKERS (2), BENCH_DURATION (10), BENCH_CONCURRENCY (32), BENCH_UNITS (3000), DB_* and REDIS_URL as the server's.
 */
import { ChildProcess } from 'child_process';
import { randomUUID } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';
import { Worker } from 'worker_threads';
import { runLoad } from './load';
import { dropDatabase } from './scratch-db';
import { PROJECT_ROOT, startBuiltServer } from './server-process';
import { sleep } from './sleep';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SSE_CLIENTS = env('BENCH_SSE_CLIENTS', 5000);
const WS_CLIENTS = env('BENCH_WS_CLIENTS', 1000);
const DURATION = env('BENCH_DURATION', 10);
const CONCURRENCY = env('BENCH_CONCURRENCY', 32);
const UNITS = env('BENCH_UNITS', 3000);
/** Worker threads holding the clients (their parsing must not be what delays an event). */
const CLIENT_WORKERS = env('BENCH_CLIENT_WORKERS', 2);

interface Report {
  events: number;
  delays: number[];
  last: number[];
  soldOut: number;
  inOrder: number;
}
const RUN = Date.now().toString(36);
const ADMIN = 'dev-admin-key';
const STOREFRONT = 'dev-storefront-key';

let baseUrl = '';

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${path.startsWith('/v1/admin') ? ADMIN : STOREFRONT}`,
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['idempotency-key'] = randomUUID();
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** The built server on a database and Redis prefix of this run; BENCH_SERVER_NODE_ARGS (e.g. `--cpu-prof`) looks inside it. */
async function startServer(kind: string): Promise<ChildProcess> {
  const nodeArgs = [
    '--expose-gc',
    '--require',
    join(PROJECT_ROOT, 'scripts/gc-on-signal.cjs'),
    ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const server = await startBuiltServer(
    {
      DB_NAME: databaseOf(kind),
      REDIS_KEY_PREFIX: `bench-stream:${RUN}:${kind}:`,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_USER_PER_SEC: '0',
    },
    { nodeArgs },
  );
  baseUrl = server.baseUrl;
  return server.child;
}

const databaseOf = (kind: string) => `bench_stream_${RUN}_${kind}`;

/** The server's RSS after a full collection (scripts/gc-on-signal.cjs), in KB. */
async function rssKb(pid: number): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  await sleep(1000);
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

function ask<T>(worker: Worker, type: string): Promise<T> {
  return new Promise((resolve) => {
    const listener = (m: { type: string }) => {
      if (m.type !== type) return;
      worker.off('message', listener);
      resolve(m as T);
    };
    worker.on('message', listener);
    if (type !== 'ready') worker.postMessage({ type });
  });
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

/** One kind of client against a server of its own, so each RSS figure starts from a fresh process. */
async function round(kind: 'sse' | 'ws', clients: number): Promise<boolean> {
  const server = await startServer(kind);
  try {
    return await measure(kind, clients, server);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await dropDatabase(databaseOf(kind));
  }
}

async function measure(kind: 'sse' | 'ws', clients: number, server: ChildProcess): Promise<boolean> {
  const sku = `LIVE-${RUN}-${kind}`.toUpperCase();
  await call('POST', '/v1/admin/products', { sku, name: sku, category: 'bench', priceCents: 100 });
  await call('POST', '/v1/admin/stock/inbound', { sku, warehouse: 'main', qty: UNITS });
  await sleep(1500);
  const before = await rssKb(server.pid!);
  const workers = Array.from({ length: CLIENT_WORKERS }, (_, w) => {
    const share = Math.floor(clients / CLIENT_WORKERS) + (w < clients % CLIENT_WORKERS ? 1 : 0);
    return new Worker(join(__dirname, 'bench-stream-clients.js'), {
      workerData: { baseUrl, key: STOREFRONT, kind, clients: share, sku },
    });
  });
  const opened = Date.now();
  await Promise.all(workers.map((w) => ask(w, 'ready')));
  const connectSec = (Date.now() - opened) / 1000;
  await sleep(3000);
  const after = await rssKb(server.pid!);
  await Promise.all(workers.map((w) => ask(w, 'reset')));

  const sale = await runLoad({
    baseUrl,
    connections: CONCURRENCY,
    durationSec: DURATION,
    next: (i) => ({
      method: 'POST',
      path: '/v1/orders',
      headers: {
        authorization: `Bearer ${STOREFRONT}`,
        'content-type': 'application/json',
        'x-user-id': `b${i % 5000}`,
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({ items: [{ sku, qty: 1 }] }),
    }),
  });
  await sleep(1500); // quiet: the last coalesced event is out
  const reports = await Promise.all(workers.map((w) => ask<Report>(w, 'report')));
  const report: Report = {
    events: reports.reduce((n, r) => n + r.events, 0),
    delays: reports.flatMap((r) => r.delays),
    last: reports.flatMap((r) => r.last),
    soldOut: reports.reduce((n, r) => n + r.soldOut, 0),
    inOrder: reports.reduce((n, r) => n + r.inOrder, 0),
  };
  const stock = (await call('GET', `/v1/admin/stock?sku=${sku}&warehouse=main`)).items[0];
  for (const w of workers) w.postMessage({ type: 'close' });
  await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));

  const delays = report.delays.sort((a, b) => a - b);
  const atMysql = report.last.filter((v) => v === stock.available).length;
  const above = report.last.filter((v) => v > stock.available).length;
  console.log(`\n${kind.toUpperCase()}: ${clients} clients connected in ${connectSec.toFixed(1)} s`);
  console.log(
    `  RSS per idle connection: ${(((after - before) * 1024) / clients / 1024).toFixed(1)} KB (server ${(before / 1024).toFixed(0)} → ${(after / 1024).toFixed(0)} MB)`,
  );
  console.log(
    `  flash sale: ${sale.requests} checkouts in ${sale.seconds.toFixed(1)} s (${sale.rps.toFixed(0)}/s, p99 ${sale.p99.toFixed(0)} ms), ${UNITS - stock.available} of ${UNITS} units sold, MySQL available ${stock.available}`,
  );
  console.log(`  events: ${report.events} received, ${(report.events / sale.seconds).toFixed(0)}/s`);
  console.log(
    `  commit→client delay: p50 ${pct(delays, 50)} ms, p99 ${pct(delays, 99)} ms, max ${delays[delays.length - 1]} ms`,
  );
  console.log(
    `  last value = MySQL: ${atMysql}/${clients}; above MySQL: ${above}; in order: ${report.inOrder}/${clients}; soldOut shown: ${report.soldOut}/${clients}`,
  );
  return atMysql === clients && report.inOrder === clients;
}

async function main(): Promise<void> {
  console.log(
    `bench:stream ${RUN}: ${SSE_CLIENTS} SSE / ${WS_CLIENTS} WebSocket clients, flash sale of ${UNITS} units, ${CONCURRENCY} connections, ${DURATION} s`,
  );
  const sse = await round('sse', SSE_CLIENTS);
  const ws = await round('ws', WS_CLIENTS);
  if (!sse || !ws) process.exitCode = 2;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
