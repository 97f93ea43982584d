import { ChildProcess, spawn } from 'child_process';
import { existsSync } from 'fs';
import { AddressInfo, createServer } from 'net';
import { join } from 'path';

/** The compiled server, as `npm run start:prod` runs it (npm test builds it first). */
export const BUILT_MAIN = join(__dirname, '../../dist/apps/api/src/main.js');

/** Jobs on and quick, for tests that crash something and wait for recovery to finish the work. */
export const FAST_RECOVERY_ENV = {
  LOG_LEVEL: 'error',
  JOBS_ENABLED: 'true',
  ORDER_PAYMENT_TIMEOUT_SEC: '3',
  TCC_RECOVERY_INTERVAL_MS: '200',
  TCC_LEASE_MS: '1000',
  TCC_BACKOFF_BASE_MS: '50',
  TCC_BACKOFF_MAX_MS: '500',
  RECONCILE_INTERVAL_MS: '1000',
  RATE_LIMIT_USER_PER_SEC: '0',
};

/** SIGKILL, and wait until the process is gone (a no-op when it already is). */
export async function killAndWait(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Starts the built server with these environment overrides and waits until /health answers. */
export async function startBuiltServer(env: Record<string, string>, timeoutMs = 30000): Promise<ServerProcess> {
  if (!existsSync(BUILT_MAIN)) throw new Error(`${BUILT_MAIN} is missing: run \`npm run build\` first (npm test does)`);
  const port = env.PORT ?? String(await freePort());
  const child = spawn(process.execPath, [BUILT_MAIN], { env: { ...process.env, ...env, PORT: port }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      await fetch(`${baseUrl}/health`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`server did not answer within ${timeoutMs}ms:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  return { child, baseUrl, output: () => output, exited };
}
