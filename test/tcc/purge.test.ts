import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { DomainError } from '@app/core';
import { FenceCleanupJob, TccCoordinator } from '@app/tcc';
import { newTestEnv, TestEnv } from '../helpers/test-env';
import { startTccModule } from './support/tcc-test-module';

const count = async (db: DataSource, sql: string, args: unknown[] = []) => Number((await db.query(sql, args))[0].n);

describe('finished TCC transactions are purged after their retention', () => {
  let testEnv: TestEnv;
  let moduleRef: TestingModule;
  let db: DataSource;
  let tcc: TccCoordinator;

  beforeAll(async () => {
    testEnv = newTestEnv({ TCC_TX_RETENTION_SEC: '3600', TCC_FENCE_RETENTION_SEC: '3600' });
    ({ moduleRef, db } = await startTccModule(testEnv.env));
    tcc = moduleRef.get(TccCoordinator);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await testEnv?.cleanup();
  });

  async function finishedTx(outcome: 'commit' | 'rollback'): Promise<string> {
    const txId = await tcc.begin({ name: 'purge', timeoutMs: 1000 });
    await tcc.tryBranch(txId, 'hold', { amount: 1 }, { key: 'a' });
    await tcc.tryBranch(txId, 'note', { text: 'x' });
    if (outcome === 'commit') await tcc.commit(txId);
    else await tcc.rollback(txId, 'USER');
    return txId;
  }

  /** Moves a tx (and, unless told otherwise, its fences) two hours into the past. */
  async function age(txId: string, fencesToo = true): Promise<void> {
    const past = 'DATE_SUB(UTC_TIMESTAMP(3), INTERVAL 2 HOUR)';
    await db.query(
      `UPDATE tcc_transaction SET created_at = ${past}, updated_at = ${past}, deadline_at = ${past} WHERE tx_id = ?`,
      [txId],
    );
    if (fencesToo)
      await db.query(`UPDATE tcc_fence SET created_at = ${past}, updated_at = ${past} WHERE tx_id = ?`, [txId]);
  }

  const rowsOf = async (txId: string) => ({
    tx: await count(db, 'SELECT COUNT(*) AS n FROM tcc_transaction WHERE tx_id = ?', [txId]),
    branches: await count(db, 'SELECT COUNT(*) AS n FROM tcc_branch WHERE tx_id = ?', [txId]),
    fences: await count(db, 'SELECT COUNT(*) AS n FROM tcc_fence WHERE tx_id = ?', [txId]),
  });

  it('deletes old finished txs with their branches and fences, and keeps what is still needed', async () => {
    const oldConfirmed = await finishedTx('commit');
    const oldCancelled = await finishedTx('rollback');
    const recent = await finishedTx('commit');
    const fenceStillKept = await finishedTx('rollback');
    const pending = await tcc.begin({ name: 'purge', timeoutMs: 60_000 });
    await tcc.tryBranch(pending, 'hold', { amount: 1 });
    await age(oldConfirmed);
    await age(oldCancelled);
    await age(fenceStillKept, false); // its tombstones were written recently: they (and so the tx) stay
    await age(pending);

    const job = moduleRef.get(FenceCleanupJob);
    expect(await job.purgeOnce()).toBe(2);

    expect(await rowsOf(oldConfirmed)).toEqual({ tx: 0, branches: 0, fences: 0 });
    expect(await rowsOf(oldCancelled)).toEqual({ tx: 0, branches: 0, fences: 0 });
    expect(await rowsOf(recent)).toEqual({ tx: 1, branches: 2, fences: 2 });
    expect(await rowsOf(fenceStillKept)).toEqual({ tx: 1, branches: 2, fences: 2 });
    expect(await rowsOf(pending)).toEqual({ tx: 1, branches: 1, fences: 1 });
    // a late try of a purged tx finds nothing to register with: it holds nothing
    await expect(tcc.tryBranch(oldCancelled, 'hold', { amount: 1 }, { key: 'a' })).rejects.toBeInstanceOf(DomainError);
    expect(await rowsOf(oldCancelled)).toEqual({ tx: 0, branches: 0, fences: 0 });
  });

  it('purges in bounded batches until nothing old is left', async () => {
    const past = 'DATE_SUB(UTC_TIMESTAMP(3), INTERVAL 2 HOUR)';
    await db.query(
      `INSERT INTO tcc_transaction (tx_id, name, status, deadline_at, retry_count, created_at, updated_at)
       SELECT CONCAT('bulk-', seq), 'bulk', IF(seq % 2 = 0, 'CONFIRMED', 'CANCELLED'), ${past}, 0, ${past}, ${past} FROM seq_1_to_2500`,
    );
    await db.query(
      `INSERT INTO tcc_branch (branch_id, tx_id, participant, payload, status, attempts, created_at, updated_at)
       SELECT CONCAT('bulk-', seq, ':note'), CONCAT('bulk-', seq), 'note', '{}', 'CONFIRMED', 2, ${past}, ${past} FROM seq_1_to_2500`,
    );
    expect(await moduleRef.get(FenceCleanupJob).purgeOnce()).toBe(2500);
    expect(await count(db, "SELECT COUNT(*) AS n FROM tcc_transaction WHERE name = 'bulk'")).toBe(0);
    expect(await count(db, "SELECT COUNT(*) AS n FROM tcc_branch WHERE tx_id LIKE 'bulk-%'")).toBe(0);
  });
});
