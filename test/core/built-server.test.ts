import { spawn } from 'child_process';
import { existsSync } from 'fs';
import { AddressInfo } from 'net';
import { sleep } from '@app/core';
import { ProbeModule } from '../helpers/probe.module';
import { BUILT_MAIN as MAIN, startBuiltServer } from '../helpers/server-process';
import { startTestApp } from '../helpers/test-app';
import { ADMIN_KEY, newTestEnv } from '../helpers/test-env';

/** The built server (npm run build && npm run start:prod), as black-box tests start it. */
describe('built server', () => {
  it('honours PORT, DB_NAME and REDIS_URL, migrates a fresh database, and stops cleanly on SIGTERM', async () => {
    const testEnv = newTestEnv();
    const server = await startBuiltServer({
      DB_NAME: testEnv.dbName,
      REDIS_URL: 'redis://127.0.0.1:6379/3',
      REDIS_KEY_PREFIX: testEnv.redisPrefix,
      LOG_LEVEL: 'warn',
      JOBS_ENABLED: 'true',
    });
    try {
      const base = server.baseUrl;
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', info: { mysql: { status: 'up' }, redis: { status: 'up' } } });
      const created = await fetch(`${base}/v1/admin/products`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'BB-1', name: 'Black box', category: 'bb', priceCents: 1 }),
      });
      expect(created.status).toBe(201);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- server output ---\n${server.output()}`);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await testEnv.cleanup();
    }
  });

  it('refuses to start on a bad variable, naming it', async () => {
    expect(existsSync(MAIN)).toBe(true);
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d) => (output += d));
    child.stdout.on('data', (d) => (output += d));
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
        headers: {
          authorization: `Bearer ${ADMIN_KEY}`,
          'content-type': 'application/json',
          'idempotency-key': 'drain-1',
        },
        body: JSON.stringify({ label: 'drain', delayMs: 700 }),
      });
      await sleep(150);
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
