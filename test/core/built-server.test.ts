import { ChildProcess, spawn } from 'child_process';
import { existsSync } from 'fs';
import { AddressInfo, createServer } from 'net';
import { join } from 'path';
import { ProbeModule } from '../helpers/probe.module';
import { startTestApp } from '../helpers/test-app';
import { ADMIN_KEY, newTestEnv } from '../helpers/test-env';

const MAIN = join(__dirname, '../../dist/apps/api/src/main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs = 30000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      return await fetch(`${url}/health`);
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error('server did not answer in time');
}

/** The built server (npm run build && npm run start:prod), as black-box tests start it. */
describe('built server', () => {
  it('honours PORT, DB_NAME and REDIS_URL, migrates a fresh database, and stops cleanly on SIGTERM', async () => {
    expect(existsSync(MAIN)).toBe(true); // npm test builds first; run `npm run build` when running jest alone
    const testEnv = newTestEnv();
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        PORT: String(port),
        DB_NAME: testEnv.dbName,
        REDIS_URL: 'redis://127.0.0.1:6379/3',
        REDIS_KEY_PREFIX: testEnv.redisPrefix,
        LOG_LEVEL: 'warn',
        JOBS_ENABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    try {
      const base = `http://127.0.0.1:${port}`;
      const health = await waitForHealth(base, child);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', info: { mysql: { status: 'up' }, redis: { status: 'up' } } });
      const created = await fetch(`${base}/v1/admin/products`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'BB-1', name: 'Black box', category: 'bb', priceCents: 1 }),
      });
      expect(created.status).toBe(201);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- server output ---\n${output}`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await testEnv.cleanup();
    }
  });

  it('refuses to start on a bad variable, naming it', async () => {
    expect(existsSync(MAIN)).toBe(true);
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr!.on('data', (d) => (output += d));
    child.stdout!.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(output).toContain('PORT');
  });
});

describe('graceful shutdown', () => {
  it('drains an in-flight request before closing', async () => {
    const t = await startTestApp({ extraModules: [ProbeModule] });
    try {
      await t.app.listen(0, '127.0.0.1');
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const slow = fetch(`http://127.0.0.1:${port}/__probe/write`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'idempotency-key': 'drain-1' },
        body: JSON.stringify({ label: 'drain', delayMs: 700 }),
      });
      await new Promise((r) => setTimeout(r, 150));
      const closing = t.app.close();
      const res = await slow;
      await closing;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { label: string }).label).toBe('drain');
    } finally {
      await t.testEnv.cleanup();
    }
  });
});
