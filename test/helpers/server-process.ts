import { ChildProcess } from 'child_process';
import type { Connection } from 'mysql2/promise';
import { pollUntil } from '@app/core';

// The built-server starter lives under scripts/ so the soak script shares it.
export { BUILT_MAIN, freePort, startBuiltServer } from '../../scripts/server-process';
export type { ServerProcess, StartOptions } from '../../scripts/server-process';

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

/** Polls a database until checkouts and at least one payment committed (or 20 s passed): a crash test's moment to strike. */
export async function untilSaleUnderway(db: Connection): Promise<void> {
  await pollUntil(
    async () => {
      const [rows] = await db.query(`SELECT COUNT(*) AS placed, COALESCE(SUM(status = 'PAID'), 0) AS paid FROM orders`);
      const { placed, paid } = (rows as Array<{ placed: number; paid: string }>)[0];
      return Number(placed) >= 5 && Number(paid) >= 1;
    },
    { timeoutMs: 20_000, intervalMs: 5 },
  );
}

/** SIGKILL, and wait until the process is gone (a no-op when it already is). */
export async function killAndWait(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
