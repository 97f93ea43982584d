import { ChildProcess } from 'child_process';

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

/** SIGKILL, and wait until the process is gone (a no-op when it already is). */
export async function killAndWait(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
