import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { DomainError, ErrorCode, metricsRegistry } from '@app/core';
import { FenceCleanupJob, TccConflictError, TccCoordinator, TccRecoveryJob } from '@app/tcc';
import { newTestEnv, TestEnv } from '../helpers/test-env';
import { effectCounts, holdStates, sleep, startTccModule } from './support/tcc-test-module';
import { probe } from './support/test-participants';

describe('TCC coordinator', () => {
  let testEnv: TestEnv;
  let moduleRef: TestingModule;
  let db: DataSource;
  let tcc: TccCoordinator;
  let recovery: TccRecoveryJob;

  beforeAll(async () => {
    testEnv = newTestEnv({
      TCC_BACKOFF_BASE_MS: '10',
      TCC_BACKOFF_MAX_MS: '100',
      TCC_ALERT_AFTER_ATTEMPTS: '2',
      TCC_LEASE_MS: '5000',
      TCC_FENCE_RETENTION_SEC: '60',
    });
    ({ moduleRef, db } = await startTccModule(testEnv.env));
    tcc = moduleRef.get(TccCoordinator);
    recovery = moduleRef.get(TccRecoveryJob);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await testEnv?.cleanup();
  });

  beforeEach(() => probe.reset());

  async function conflictOf(p: Promise<unknown>): Promise<TccConflictError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TccConflictError);
    return err as TccConflictError;
  }

  async function metric(name: string, labels: Record<string, string>): Promise<number> {
    const m = (await metricsRegistry.getSingleMetric(name)?.get())?.values ?? [];
    const hit = m.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
    return hit?.value ?? 0;
  }

  it('commits: every branch tried, then confirmed once, tx CONFIRMED', async () => {
    const txId = await tcc.begin({ name: 'checkout', timeoutMs: 60_000 });
    expect(await tcc.tryBranch(txId, 'hold', { amount: 2 })).toBe(`${txId}:hold`);
    expect(await tcc.tryBranch(txId, 'hold', { amount: 5 }, { key: 'second' })).toBe(`${txId}:hold:second`);
    expect(await tcc.tryBranch(txId, 'note', { text: 'hi' })).toBe(`${txId}:note`);

    expect(await tcc.commit(txId)).toEqual({ txId, status: 'CONFIRMED' });

    const view = await tcc.findTransaction(txId);
    expect(view).toMatchObject({
      txId,
      name: 'checkout',
      status: 'CONFIRMED',
      retryCount: 0,
      lastError: null,
      cancelReason: null,
    });
    expect(view!.branches.map((b) => [b.branchId, b.participant, b.status])).toEqual([
      [`${txId}:hold`, 'hold', 'CONFIRMED'],
      [`${txId}:hold:second`, 'hold', 'CONFIRMED'],
      [`${txId}:note`, 'note', 'CONFIRMED'],
    ]);
    const effects = await effectCounts(db, [txId]);
    expect(effects.get(`${txId}:hold`)).toEqual({ try: 1, confirm: 1 });
    expect(effects.get(`${txId}:hold:second`)).toEqual({ try: 1, confirm: 1 });
    expect(effects.get(`${txId}:note`)).toEqual({ try: 1, confirm: 1 });
    expect(probe.afterConfirm.get(`${txId}:hold`)).toBe(1);
    expect(await metric('tcc_transactions_total', { name: 'checkout', status: 'CONFIRMED' })).toBeGreaterThanOrEqual(1);
  });

  it('rolls back: every tried branch released once, participants see the cancel reason', async () => {
    const txId = await tcc.begin({ name: 'checkout' });
    await tcc.tryBranch(txId, 'hold', { amount: 2 });
    await tcc.tryBranch(txId, 'note', { text: 'x' });

    expect(await tcc.rollback(txId, 'USER')).toEqual({ txId, status: 'CANCELLED' });
    const rows = await db.query(
      'SELECT branch_id AS b, phase, cancel_reason AS r FROM test_effect WHERE tx_id = ? AND phase = ?',
      [txId, 'cancel'],
    );
    expect(rows).toHaveLength(2);
    expect(rows.every((r: { r: string }) => r.r === 'USER')).toBe(true);
    expect((await holdStates(db, [txId])).get(`${txId}:hold`)).toBe('RELEASED');
    expect((await tcc.findTransaction(txId))!.cancelReason).toBe('USER');
    expect(probe.afterCancel.get(`${txId}:hold`)).toBe(1);
  });

  it('rethrows a participant refusal unchanged, marks the branch TRY_FAILED, and rollback cancels it empty', async () => {
    const txId = await tcc.begin({ name: 'checkout' });
    await tcc.tryBranch(txId, 'hold', { amount: 1 });
    const err = await tcc.tryBranch(txId, 'hold', { amount: 1, refuse: true }, { key: 'b' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).not.toBeInstanceOf(TccConflictError);
    expect((err as DomainError).code).toBe(ErrorCode.INSUFFICIENT_STOCK);
    expect((err as DomainError).details).toEqual({ branchId: `${txId}:hold:b` });

    const failed = (await tcc.findTransaction(txId))!.branches.find((b) => b.branchId === `${txId}:hold:b`)!;
    expect(failed).toMatchObject({ status: 'TRY_FAILED', attempts: 1 });
    expect(failed.lastError).toContain('not enough');

    expect(await tcc.rollback(txId, 'TRY_FAILED')).toEqual({ txId, status: 'CANCELLED' });
    // the failed branch got an empty rollback: its afterCancel ran (e.g. Redis release), no business cancel
    expect(probe.afterCancel.get(`${txId}:hold:b`)).toBe(1);
    const effects = await effectCounts(db, [txId]);
    expect(effects.get(`${txId}:hold:b`)).toBeUndefined();
    expect(effects.get(`${txId}:hold`)).toEqual({ try: 1, cancel: 1 });
  });

  it('commits past a refused branch: the tried ones are confirmed, the refused one rolled back empty and closed to late retries', async () => {
    const txId = await tcc.begin({ name: 'checkout' });
    await tcc.tryBranch(txId, 'hold', { amount: 1 });
    await expect(tcc.tryBranch(txId, 'hold', { amount: 1, refuse: true }, { key: 'attempt' })).rejects.toBeInstanceOf(
      DomainError,
    );

    expect(await tcc.commit(txId)).toEqual({ txId, status: 'CONFIRMED' });

    const branches = (await tcc.findTransaction(txId))!.branches;
    expect(branches.map((b) => [b.branchId, b.status])).toEqual([
      [`${txId}:hold`, 'CONFIRMED'],
      [`${txId}:hold:attempt`, 'CANCELLED'],
    ]);
    const effects = await effectCounts(db, [txId]);
    expect(effects.get(`${txId}:hold`)).toEqual({ try: 1, confirm: 1 });
    expect(effects.get(`${txId}:hold:attempt`)).toBeUndefined();
    expect(probe.afterCancel.get(`${txId}:hold:attempt`)).toBe(1);
    const fence = await db.query('SELECT status FROM tcc_fence WHERE branch_id = ?', [`${txId}:hold:attempt`]);
    expect(fence).toEqual([{ status: 'CANCELLED' }]);
    await conflictOf(tcc.tryBranch(txId, 'hold', { amount: 1 }, { key: 'attempt' }));
  });

  it('refuses commit while a refused branch is being tried again, so the retried try is never silently cancelled', async () => {
    const txId = await tcc.begin({ name: 'checkout' });
    const payload = { amount: 1, refuseTries: 1, slowMs: 400 };
    await expect(tcc.tryBranch(txId, 'hold', payload, { key: 'pay' })).rejects.toBeInstanceOf(DomainError);

    const retry = tcc.tryBranch(txId, 'hold', payload, { key: 'pay' });
    await sleep(150); // the retried try is running (slowMs) with its fence row inserted
    const commit = tcc.commit(txId).then(
      (outcome) => outcome,
      (e: unknown) => e,
    );
    const [retried, committed] = await Promise.all([
      retry.then(
        () => 'TRIED',
        (e: unknown) => e,
      ),
      commit,
    ]);
    expect(retried).toBe('TRIED');
    expect(committed).toBeInstanceOf(TccConflictError);
    expect((committed as TccConflictError).details).toMatchObject({ currentStatus: 'TRYING' });

    // once the retried try is done, commit confirms what the caller was told is tried
    expect(await tcc.commit(txId)).toEqual({ txId, status: 'CONFIRMED' });
    expect((await holdStates(db, [txId])).get(`${txId}:hold:pay`)).toBe('CONFIRMED');
  });

  it('refuses commit while a branch try is still running (outcome unknown)', async () => {
    const txId = await tcc.begin({ name: 'checkout' });
    await tcc.tryBranch(txId, 'hold', { amount: 1 });
    await db.query(
      `INSERT INTO tcc_branch (branch_id, tx_id, participant, payload, status, attempts, created_at, updated_at)
       VALUES (?, ?, 'hold', '{"amount":1}', 'TRYING', 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
      [`${txId}:hold:inflight`, txId],
    );
    const refused = await conflictOf(tcc.commit(txId));
    expect(refused.details).toMatchObject({
      currentStatus: 'TRYING',
      branches: [{ branchId: `${txId}:hold:inflight`, status: 'TRYING' }],
    });
    expect((await tcc.findTransaction(txId))!.status).toBe('TRYING');
    expect(await tcc.rollback(txId, 'USER')).toEqual({ txId, status: 'CANCELLED' });
  });

  it('refuses commit after rollback and rollback after commit with a typed conflict; repeats are idempotent', async () => {
    const a = await tcc.begin({ name: 'checkout' });
    await tcc.tryBranch(a, 'hold', { amount: 1 });
    await tcc.rollback(a, 'USER');
    const c1 = await conflictOf(tcc.commit(a));
    expect(c1.code).toBe(ErrorCode.CONFLICT);
    expect(c1.details).toMatchObject({ txId: a, currentStatus: 'CANCELLED' });
    expect(await tcc.rollback(a, 'OPERATOR')).toEqual({ txId: a, status: 'CANCELLED' });

    const b = await tcc.begin({ name: 'checkout' });
    await tcc.tryBranch(b, 'hold', { amount: 1 });
    await tcc.commit(b);
    expect((await conflictOf(tcc.rollback(b, 'USER'))).details).toMatchObject({ currentStatus: 'CONFIRMED' });
    expect(await tcc.commit(b)).toEqual({ txId: b, status: 'CONFIRMED' });
    expect((await effectCounts(db, [a, b])).get(`${b}:hold`)).toEqual({ try: 1, confirm: 1 });
  });

  it('refuses a branch on a tx that is no longer TRYING or is past its deadline', async () => {
    const done = await tcc.begin({ name: 'checkout' });
    await tcc.rollback(done, 'USER');
    expect((await conflictOf(tcc.tryBranch(done, 'hold', { amount: 1 }))).details).toMatchObject({
      currentStatus: 'CANCELLED',
    });

    const late = await tcc.begin({ name: 'checkout', deadlineAt: new Date(Date.now() - 1000) });
    expect((await conflictOf(tcc.tryBranch(late, 'hold', { amount: 1 }))).details).toMatchObject({
      currentStatus: 'TRYING',
    });
    expect((await tcc.findTransaction(late))!.branches).toHaveLength(0);
    expect((await holdStates(db, [done, late])).size).toBe(0);
  });

  it('answers NOT_FOUND for an unknown tx and refuses a re-registered branch with another payload', async () => {
    for (const p of [tcc.commit('nope'), tcc.rollback('nope', 'USER'), tcc.tryBranch('nope', 'hold', { amount: 1 })]) {
      const err = await p.catch((e: unknown) => e);
      expect((err as DomainError).code).toBe(ErrorCode.NOT_FOUND);
    }
    expect(await tcc.findTransaction('nope')).toBeNull();

    const txId = await tcc.begin({ name: 'checkout' });
    await tcc.tryBranch(txId, 'hold', { amount: 1 });
    expect(await tcc.tryBranch(txId, 'hold', { amount: 1 })).toBe(`${txId}:hold`); // retried try: no-op
    await conflictOf(tcc.tryBranch(txId, 'hold', { amount: 2 }));
    expect((await effectCounts(db, [txId])).get(`${txId}:hold`)).toEqual({ try: 1 });
  });

  it('begins idempotently with a caller txId and refuses it for another name', async () => {
    const txId = `tx-${Date.now()}`;
    expect(await tcc.begin({ name: 'refund', txId })).toBe(txId);
    expect(await tcc.begin({ name: 'refund', txId })).toBe(txId);
    await conflictOf(tcc.begin({ name: 'checkout', txId }));
    expect(await tcc.statusesOf([txId, 'missing'])).toEqual(new Map([[txId, 'TRYING']]));
  });

  it('retries a confirm that fails N times with backoff until it succeeds, flagging it past the alert threshold', async () => {
    const retriesBefore = await metric('tcc_retries_total', { name: 'flaky' });
    const txId = await tcc.begin({ name: 'flaky' });
    await tcc.tryBranch(txId, 'hold', { amount: 1, failConfirms: 3 });
    await tcc.tryBranch(txId, 'note', { text: 'ok' });

    // the inline confirm round fails once: tx stays CONFIRMING with a retry time and the error
    expect(await tcc.commit(txId)).toEqual({ txId, status: 'CONFIRMING' });
    let view = (await tcc.findTransaction(txId))!;
    expect(view).toMatchObject({ status: 'CONFIRMING', retryCount: 1 });
    expect(view.lastError).toContain('confirm failure 1 of 3');
    expect(view.nextRetryAt).not.toBeNull();
    expect(view.branches.find((b) => b.participant === 'note')!.status).toBe('CONFIRMED');

    const deadline = Date.now() + 10_000;
    while ((await tcc.findTransaction(txId))!.status !== 'CONFIRMED' && Date.now() < deadline) {
      await recovery.runOnce();
      await sleep(20);
    }
    view = (await tcc.findTransaction(txId))!;
    expect(view.status).toBe('CONFIRMED');
    expect(view.retryCount).toBe(3);
    expect(view.flaggedAt).not.toBeNull(); // 3 failed rounds >= TCC_ALERT_AFTER_ATTEMPTS=2
    expect(view.lastError).toBeNull();
    expect(view.branches.find((b) => b.participant === 'hold')).toMatchObject({ status: 'CONFIRMED', attempts: 5 }); // 1 try + 3 failed + 1 good confirm
    expect(probe.confirmFailures.get(`${txId}:hold`)).toBe(3);
    expect((await effectCounts(db, [txId])).get(`${txId}:hold`)).toEqual({ try: 1, confirm: 1 });
    expect((await holdStates(db, [txId])).get(`${txId}:hold`)).toBe('CONFIRMED');
    expect(await metric('tcc_retries_total', { name: 'flaky' })).toBe(retriesBefore + 3);
  });

  it('keeps a tx CANCELLING until afterCancel succeeds, without releasing the business resource twice', async () => {
    const txId = await tcc.begin({ name: 'after-cancel' });
    await tcc.tryBranch(txId, 'hold', { amount: 1, failAfterCancels: 2 });
    expect(await tcc.rollback(txId, 'USER')).toEqual({ txId, status: 'CANCELLING' });
    let view = (await tcc.findTransaction(txId))!;
    expect(view.branches[0].status).toBe('TRIED'); // fence says CANCELLED, but the outside release is still owed
    expect(view.lastError).toContain('afterCancel failure 1');

    const deadline = Date.now() + 10_000;
    while ((await tcc.findTransaction(txId))!.status !== 'CANCELLED' && Date.now() < deadline) {
      await recovery.runOnce();
      await sleep(20);
    }
    view = (await tcc.findTransaction(txId))!;
    expect(view.status).toBe('CANCELLED');
    expect(view.branches[0].status).toBe('CANCELLED');
    expect(probe.afterCancel.get(`${txId}:hold`)).toBe(3);
    expect((await effectCounts(db, [txId])).get(`${txId}:hold`)).toEqual({ try: 1, cancel: 1 });
  });

  it('waits out the backoff: a failed tx is not retried before its next_retry_at', async () => {
    const txId = await tcc.begin({ name: 'backoff' });
    await tcc.tryBranch(txId, 'hold', { amount: 1, failConfirms: 1 });
    expect((await tcc.commit(txId)).status).toBe('CONFIRMING');
    await db.query(
      'UPDATE tcc_transaction SET next_retry_at = DATE_ADD(UTC_TIMESTAMP(3), INTERVAL 1 HOUR) WHERE tx_id = ?',
      [txId],
    );
    await recovery.runOnce();
    expect((await tcc.findTransaction(txId))!.status).toBe('CONFIRMING');
    await db.query('UPDATE tcc_transaction SET next_retry_at = UTC_TIMESTAMP(3) WHERE tx_id = ?', [txId]);
    await recovery.runOnce();
    expect((await tcc.findTransaction(txId))!.status).toBe('CONFIRMED');
  });

  it('expires a TRYING tx past its deadline: cancelled with reason EXPIRED, resources released', async () => {
    const txId = await tcc.begin({ name: 'checkout', timeoutMs: 150 });
    await tcc.tryBranch(txId, 'hold', { amount: 4 });
    await recovery.runOnce();
    expect((await tcc.findTransaction(txId))!.status).toBe('TRYING'); // not yet due
    await sleep(200);
    await recovery.runOnce();
    const view = (await tcc.findTransaction(txId))!;
    expect(view).toMatchObject({ status: 'CANCELLED', cancelReason: 'EXPIRED' });
    const [row] = await db.query("SELECT cancel_reason AS r FROM test_effect WHERE tx_id = ? AND phase = 'cancel'", [
      txId,
    ]);
    expect(row.r).toBe('EXPIRED');
    expect((await holdStates(db, [txId])).get(`${txId}:hold`)).toBe('RELEASED');
  });

  it('updates the oldest pending tx age gauge on each recovery round', async () => {
    const txId = await tcc.begin({ name: 'gauge', timeoutMs: 60_000 });
    await db.query(
      'UPDATE tcc_transaction SET created_at = DATE_SUB(UTC_TIMESTAMP(3), INTERVAL 90 SECOND) WHERE tx_id = ?',
      [txId],
    );
    await recovery.runOnce();
    expect(await metric('tcc_oldest_pending_tx_age_seconds', {})).toBeGreaterThanOrEqual(90);
    await tcc.rollback(txId, 'USER');
    await recovery.runOnce();
    expect(await metric('tcc_oldest_pending_tx_age_seconds', {})).toBeLessThan(90);
  });

  it('deletes fences of finished txs after the retention, never before deadline + retention', async () => {
    const old = await tcc.begin({ name: 'cleanup' });
    await tcc.tryBranch(old, 'hold', { amount: 1 });
    await tcc.commit(old);
    const recent = await tcc.begin({ name: 'cleanup' });
    await tcc.tryBranch(recent, 'hold', { amount: 1 });
    await tcc.rollback(recent, 'USER');
    const open = await tcc.begin({ name: 'cleanup' });
    await tcc.tryBranch(open, 'hold', { amount: 1 });
    const age = 'DATE_SUB(UTC_TIMESTAMP(3), INTERVAL 2 HOUR)';
    // all three fences are old; only `old` also has an old deadline and is finished
    await db.query(`UPDATE tcc_fence SET updated_at = ${age} WHERE tx_id IN (?, ?, ?)`, [old, recent, open]);
    await db.query(`UPDATE tcc_transaction SET deadline_at = ${age} WHERE tx_id IN (?, ?)`, [old, open]);

    expect(await moduleRef.get(FenceCleanupJob).runOnce()).toBeGreaterThanOrEqual(1);
    const left = await db.query('SELECT tx_id AS t FROM tcc_fence WHERE tx_id IN (?, ?, ?) ORDER BY tx_id', [
      old,
      recent,
      open,
    ]);
    expect(left.map((r: { t: string }) => r.t).sort()).toEqual([recent, open].sort());
  });
});
