import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { TccCoordinator, TccRecoveryJob } from '@app/tcc';
import { newTestEnv, TestEnv } from '../helpers/test-env';
import { effectCounts, holdStates, sleep, startTccModule } from './support/tcc-test-module';

interface CrashedTxs {
  A: string[];
  B: string[];
  C: string[];
  D: string[];
}

/** Runs the child until it reports its transactions mid-flight, then SIGKILLs it. */
async function runChildAndKill(env: Record<string, string>): Promise<CrashedTxs> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', path.join(__dirname, 'support/ts-register.js'), path.join(__dirname, 'support/crash-child.ts')],
    { env: { ...process.env, TCC_CRASH_ENV: JSON.stringify(env) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  try {
    const ready = await new Promise<CrashedTxs>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`crash child not ready in time; stderr: ${stderr}`)), 60_000);
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as CrashedTxs);
        }
      });
      child.on('exit', (code) => reject(new Error(`crash child exited early (${code}); stderr: ${stderr}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    return ready;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('TCC after a crash (SIGKILL)', () => {
  let testEnv: TestEnv;
  let fresh: { moduleRef: TestingModule; db: DataSource } | undefined;

  beforeAll(() => {
    testEnv = newTestEnv({
      TCC_LEASE_MS: '500',
      DB_POOL_SIZE: '40',
      TCC_BACKOFF_BASE_MS: '10',
      TCC_BACKOFF_MAX_MS: '200',
    });
  });

  afterAll(async () => {
    await fresh?.moduleRef.close();
    await testEnv?.cleanup();
  });

  it('drives transactions killed between try and commit and between commit and confirms to a consistent end', async () => {
    const txs = await runChildAndKill(testEnv.env);
    fresh = await startTccModule(testEnv.env);
    const { db, moduleRef } = fresh;
    const tcc = moduleRef.get(TccCoordinator);
    const all = [...txs.A, ...txs.B, ...txs.C, ...txs.D];
    expect(all).toHaveLength(16);

    // what the dead process left behind: its open local transactions were rolled back by MySQL
    const before = await tcc.statusesOf(all);
    for (const t of txs.A) expect(before.get(t)).toBe('TRYING');
    for (const t of txs.B) expect(before.get(t)).toBe('CONFIRMING');
    for (const t of txs.C) expect(before.get(t)).toBe('CANCELLING');
    for (const t of txs.D) expect(before.get(t)).toBe('TRYING');
    const [b0] = txs.B;
    expect((await tcc.findTransaction(b0))!.branches.map((b) => b.status)).toEqual(['CONFIRMED', 'TRIED']);
    expect((await tcc.findTransaction(txs.D[0]))!.branches.map((b) => b.status)).toEqual(['TRIED', 'TRYING']);

    const recovery = moduleRef.get(TccRecoveryJob);
    const deadline = Date.now() + 20_000;
    let pending = all.length;
    while (pending > 0 && Date.now() < deadline) {
      await recovery.runOnce();
      pending = [...(await tcc.statusesOf(all)).values()].filter((s) => s !== 'CONFIRMED' && s !== 'CANCELLED').length;
      if (pending) await sleep(100);
    }

    const after = await tcc.statusesOf(all);
    const effects = await effectCounts(db, all);
    const holds = await holdStates(db, all);
    const branch = (t: string, k: string) => `${t}:hold:${k}`;
    for (const t of txs.B) {
      expect(after.get(t)).toBe('CONFIRMED');
      for (const k of ['a', 'b']) {
        expect(effects.get(branch(t, k))).toEqual({ try: 1, confirm: 1 });
        expect(holds.get(branch(t, k))).toBe('CONFIRMED');
      }
    }
    for (const t of [...txs.A, ...txs.C]) {
      expect(after.get(t)).toBe('CANCELLED');
      for (const k of ['a', 'b']) {
        expect(effects.get(branch(t, k))).toEqual({ try: 1, cancel: 1 });
        expect(holds.get(branch(t, k))).toBe('RELEASED');
      }
    }
    for (const t of txs.D) {
      // the killed try left nothing: its branch gets an empty rollback, and a late try would be refused
      expect(after.get(t)).toBe('CANCELLED');
      expect(effects.get(branch(t, 'a'))).toEqual({ try: 1, cancel: 1 });
      expect(effects.get(branch(t, 'b'))).toBeUndefined();
      expect(holds.has(branch(t, 'b'))).toBe(false);
      const [fence] = await db.query('SELECT status FROM tcc_fence WHERE tx_id = ? AND branch_id = ?', [
        t,
        branch(t, 'b'),
      ]);
      expect(fence.status).toBe('CANCELLED');
    }
    const reasons = await db.query(
      `SELECT tx_id AS t, cancel_reason AS r FROM tcc_transaction WHERE tx_id IN (${all.map(() => '?').join(',')})`,
      all,
    );
    for (const { t, r } of reasons as Array<{ t: string; r: string | null }>) {
      if (txs.A.includes(t) || txs.D.includes(t)) expect(r).toBe('EXPIRED');
      if (txs.C.includes(t)) expect(r).toBe('USER');
      if (txs.B.includes(t)) expect(r).toBeNull();
    }
  });
});
