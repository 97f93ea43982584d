/*
 * npm run soak — a long run of a realistic mix against the built server, which the soak starts
 * itself (npm run build first; the npm script does) on a database and Redis prefix of its own,
 * with a short ORDER_PAYMENT_TIMEOUT_SEC so the recovery job expires orders all along.
 *
 * Every minute it prints requests, req/s, p50 and p99 per kind of request and the server's RSS and
 * heap (reported by scripts/memory-probe.cjs, preloaded into the server). After the load it waits
 * for every transaction to end (the drain), checks the orders it left unpaid ended EXPIRED, and
 * prints the open transactions and GET /v1/admin/audit. Exit 2 when the audit is not clean,
 * transactions stay open after the drain, an order left unpaid did not expire, a request got a 5xx
 * other than 503 or no answer, or memory grew after warm-up (see judgeMemory in soak-stats.ts).
 *
 * Settings (env, or the flag in brackets): SOAK_MINUTES [--minutes] (10), SOAK_CONNECTIONS (32)
 * virtual users, SOAK_RATE (100) requests/s over all of them (0 = no limit), SOAK_MIX
 * ("pay=35,flash=30,..."), SOAK_USERS (300), SOAK_SKUS (20), SOAK_FLASH_UNITS (100, a new
 * flash sku every minute), SOAK_PAYMENT_TIMEOUT_SEC (20), SOAK_DRAIN_SEC (timeout + 60),
 * SOAK_HEAP_TOLERANCE_MB (10), SOAK_RSS_TOLERANCE_MB (40), SOAK_MEMORY_MIN_MINUTES (4),
 * SOAK_HEAP_SNAPSHOTS (0; 1 = write a heap snapshot to the temp folder at the end of warm-up and of
 * the load),
 * SOAK_KEEP_DB (0; 1 = keep the database and Redis keys, which a failed run always keeps),
 * SOAK_SERVER_LOG (a file path: the server's whole log is written there at the end).
 */
import { writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { call, must, setBaseUrl } from './http-client';
import { deleteRedisKeys, dropDatabase } from './scratch-db';
import { PROJECT_ROOT, ServerProcess, startBuiltServer } from './server-process';
import { sleep } from './sleep';
import { DEFAULT_MIX, Mix, parseMix, World } from './soak-mix';
import { FlatRule, formatMinute, judgeMemory, MemorySample, Recorder } from './soak-stats';

export interface SoakOptions {
  minutes: number;
  connections: number;
  rate: number;
  mix: Mix;
  users: number;
  skus: number;
  flashUnits: number;
  paymentTimeoutSec: number;
  drainSec: number;
  memory: FlatRule;
  heapSnapshots: boolean;
  /** Extra server environment (the test passes its own database and Redis prefix). */
  serverEnv: Record<string, string>;
  /** Drop the soak's database and Redis keys after a clean run. */
  cleanup: boolean;
  log: (line: string) => void;
  /** Where to write the server's whole log at the end (SOAK_SERVER_LOG); by default only its warn/error lines are counted. */
  serverLogPath?: string;
}

export interface SoakResult {
  ok: boolean;
  auditOk: boolean;
  violations: unknown[];
  openTransactions: number;
  leftUnpaid: number;
  notExpired: string[];
  unexpected: Record<string, number>;
  memory: { judged: boolean; flat: boolean; text: string };
  totals: Map<string, Map<number, number>>;
}

const OPEN = ['TRYING', 'CONFIRMING', 'CANCELLING'];

function envNumber(name: string, fallback: number, min = 0): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}`);
  return value;
}

export function optionsFromEnv(argv = process.argv.slice(2)): SoakOptions {
  const flag = argv.indexOf('--minutes');
  const minutes = flag >= 0 ? Number(argv[flag + 1]) : envNumber('SOAK_MINUTES', 10, 0.1);
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
  const paymentTimeoutSec = envNumber('SOAK_PAYMENT_TIMEOUT_SEC', 20, 1);
  return {
    minutes,
    connections: envNumber('SOAK_CONNECTIONS', 32, 1),
    rate: envNumber('SOAK_RATE', 100),
    mix: process.env.SOAK_MIX ? parseMix(process.env.SOAK_MIX) : DEFAULT_MIX,
    users: envNumber('SOAK_USERS', 300, 1),
    skus: envNumber('SOAK_SKUS', 20, 1),
    flashUnits: envNumber('SOAK_FLASH_UNITS', 100, 1),
    paymentTimeoutSec,
    drainSec: envNumber('SOAK_DRAIN_SEC', paymentTimeoutSec + 60, 1),
    memory: {
      minMinutes: envNumber('SOAK_MEMORY_MIN_MINUTES', 4),
      heapToleranceMb: envNumber('SOAK_HEAP_TOLERANCE_MB', 10),
      rssToleranceMb: envNumber('SOAK_RSS_TOLERANCE_MB', 40),
    },
    heapSnapshots: process.env.SOAK_HEAP_SNAPSHOTS === '1',
    serverEnv: {},
    cleanup: process.env.SOAK_KEEP_DB !== '1',
    serverLogPath: process.env.SOAK_SERVER_LOG || undefined,
    log: (line) => console.log(line),
  };
}

async function startServer(
  o: SoakOptions,
  env0: Record<string, string>,
  memory: MemorySample[],
): Promise<ServerProcess> {
  const env: Record<string, string> = {
    ...env0,
    ORDER_PAYMENT_TIMEOUT_SEC: String(o.paymentTimeoutSec),
    JOBS_ENABLED: 'true',
    LOG_LEVEL: 'warn',
    SOAK_SAMPLE_MS: '2000',
    SOAK_GC_EVERY: '10',
  };
  const probe = join(PROJECT_ROOT, 'scripts/memory-probe.cjs');
  const server = await startBuiltServer(env, {
    nodeArgs: ['--expose-gc', '--require', probe],
    ipc: true,
    timeoutMs: 60000,
  });
  server.child.on('message', (msg: { memory?: MemorySample; snapshot?: string }) => {
    if (msg.memory) memory.push(msg.memory);
    if (msg.snapshot) o.log(`heap snapshot written: ${msg.snapshot}`);
  });
  o.log(
    `server pid ${server.child.pid} at ${server.baseUrl}, database ${env.DB_NAME}, redis prefix ${env.REDIS_KEY_PREFIX}`,
  );
  return server;
}

async function openTransactions(): Promise<number> {
  const pages = await Promise.all(
    OPEN.map((s) =>
      must('transactions', call('GET', `/v1/admin/transactions?status=${s}&pageSize=1`, { as: 'admin' })),
    ),
  );
  return pages.reduce((a, p) => a + p.total, 0);
}

/**
 * Waits until no transaction is open, or drainSec passed; returns how many stay open. A failed
 * count (a 503 while MySQL restarts, say) is asked again: the drain is about the end state.
 */
async function drain(o: SoakOptions): Promise<number> {
  const deadline = Date.now() + o.drainSec * 1000;
  let open = NaN;
  for (;;) {
    open = await openTransactions().catch(() => open);
    if (open === 0 || Date.now() > deadline) return open;
    await sleep(2000);
  }
}

/** GET /v1/admin/audit, asked again for up to a minute while it fails. */
async function audit(): Promise<{ ok: boolean; violations: unknown[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await must('audit', call('GET', '/v1/admin/audit', { as: 'admin' }));
    } catch (err) {
      if (attempt >= 30) throw err;
      await sleep(2000);
    }
  }
}

/** The loaded phase: virtual users, a report and a flash restock every minute. */
async function load(
  o: SoakOptions,
  world: World,
  recorder: Recorder,
  memory: MemorySample[],
  snapshot: (name: string) => void,
): Promise<void> {
  const until = Date.now() + o.minutes * 60000;
  let minute = 0;
  let since = Date.now();
  const report = (label: string) => {
    const lines = formatMinute(++minute, recorder.rollover(), memory, since);
    since = Date.now();
    lines[0] = lines[0].replace('--', label);
    for (const line of lines) o.log(line);
  };
  const tick = setInterval(() => {
    report('--');
    void world.nextFlashRound();
  }, 60000);
  // Just before the judged second half: writing a snapshot leaves RSS higher for good (the
  // allocator keeps what the snapshot's serialisation took), which must not count as growth.
  const halfway = setTimeout(() => snapshot('warm'), o.minutes * 60000 * 0.45);
  try {
    await Promise.all(Array.from({ length: o.connections }, () => world.virtualUser(o.mix, until)));
  } finally {
    clearInterval(tick);
    clearTimeout(halfway);
  }
  report('-- last part of');
  snapshot('end');
}

/** Every order left unpaid must have ended EXPIRED (the recovery job ran). */
async function notExpired(world: World): Promise<string[]> {
  const wrong: string[] = [];
  for (const order of world.leftToExpire) {
    const r = await call('GET', `/v1/orders/${order.orderId}`, { as: 'storefront', user: order.userId });
    if (r.body?.status !== 'EXPIRED') wrong.push(`${order.orderId} ${r.status} ${r.body?.status ?? ''}`);
  }
  return wrong;
}

/** The server's warn/error log lines, counted by level, context and message. */
function serverComplaints(output: string): string[] {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level: number; context?: string; msg?: string; err?: { message?: string } };
      if (entry.level < 40) continue;
      const key = `${entry.level >= 50 ? 'error' : 'warn'} ${entry.context ?? ''}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      /* not a log line */
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([key, n]) => `  ${String(n).padStart(6)}  ${key}`);
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const run = Date.now().toString(36).toUpperCase();
  const memory: MemorySample[] = [];
  const recorder = new Recorder();
  const scratch = {
    DB_NAME: `soak_${run.toLowerCase()}`,
    REDIS_KEY_PREFIX: `soak:${run.toLowerCase()}:`,
    ...o.serverEnv,
  };
  const server = await startServer(o, scratch, memory);
  let result: SoakResult | undefined;
  const snapshot = (name: string) => {
    if (o.heapSnapshots)
      server.child.send({ cmd: 'snapshot', path: join(tmpdir(), `soak-${run}-${name}.heapsnapshot`) });
  };
  try {
    setBaseUrl(server.baseUrl);
    const world = new World({ run, users: o.users, skus: o.skus, flashUnits: o.flashUnits, rate: o.rate, recorder });
    await world.seed();
    o.log(
      `soak ${run}: ${o.minutes} min, ${o.connections} virtual users, ${o.rate || 'unlimited'} req/s, mix ${JSON.stringify(o.mix)}, payment timeout ${o.paymentTimeoutSec} s`,
    );
    recorder.rollover(); // seeding is not measured
    const started = Date.now();
    await load(o, world, recorder, memory, snapshot);
    const ended = Date.now();
    const verdict = judgeMemory(memory, started, ended, o.memory);

    o.log(`\ndrain: waiting up to ${o.drainSec} s for every transaction to end`);
    const open = await drain(o);
    const wrong = await notExpired(world);
    const audited = await audit();
    const unexpected = recorder.unexpected();
    const ok = audited.ok && open === 0 && wrong.length === 0 && Object.keys(unexpected).length === 0 && verdict.flat;

    o.log('\n=== totals (HTTP statuses per kind) ===');
    for (const line of recorder.totalsTable()) o.log(line);
    o.log(`\nopen transactions after the drain: ${open}`);
    o.log(
      `orders left unpaid (newest ${world.leftToExpire.length}) not EXPIRED: ${wrong.length}${wrong.length ? ` e.g. ${wrong.slice(0, 5).join(', ')}` : ''}`,
    );
    o.log(`unexpected statuses: ${Object.keys(unexpected).length ? JSON.stringify(unexpected) : 'none'}`);
    o.log(`memory: ${verdict.text}`);
    o.log(`GET /v1/admin/audit: ${JSON.stringify(audited)}`);
    return (result = {
      ok,
      auditOk: audited.ok,
      violations: audited.violations,
      openTransactions: open,
      leftUnpaid: world.leftToExpire.length,
      notExpired: wrong,
      unexpected,
      memory: verdict,
      totals: recorder.totals,
    });
  } finally {
    server.child.kill('SIGTERM');
    const code = await server.exited;
    o.log(`server exited ${code}; its warn/error log lines:`);
    for (const line of serverComplaints(server.output()).slice(0, 30)) o.log(line);
    if (o.serverLogPath) {
      writeFileSync(o.serverLogPath, server.output());
      o.log(`the server's whole log: ${o.serverLogPath}`);
    }
    if (result?.ok && o.cleanup) {
      await dropDatabase(scratch.DB_NAME);
      await deleteRedisKeys(scratch.REDIS_KEY_PREFIX);
    } else o.log(`kept database ${scratch.DB_NAME} and Redis keys ${scratch.REDIS_KEY_PREFIX}* for inspection`);
  }
}

async function main(): Promise<void> {
  const o = optionsFromEnv();
  const result = await runSoak(o);
  o.log(result.ok ? '\nsoak passed' : '\nsoak FAILED');
  process.exit(result.ok ? 0 : 2);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
