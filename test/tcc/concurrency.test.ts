import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { TccConflictError, TccCoordinator, TccRecoveryJob, TxOutcome } from '@app/tcc';
import { newTestEnv, TestEnv } from '../helpers/test-env';
import { effectCounts, holdStates, sleep, startTccModule } from './support/tcc-test-module';
import { probe } from './support/test-participants';

describe('TCC under concurrency', () => {
  let testEnv: TestEnv;
  let first: { moduleRef: TestingModule; db: DataSource };
  let second: { moduleRef: TestingModule; db: DataSource };
  let tcc: TccCoordinator;
  let db: DataSource;

  beforeAll(async () => {
    testEnv = newTestEnv({
      TCC_RECOVERY_BATCH_SIZE: '7',
      TCC_LEASE_MS: '10000',
      TCC_BACKOFF_BASE_MS: '10',
      TCC_BACKOFF_MAX_MS: '100',
    });
    first = await startTccModule(testEnv.env);
    // a second "instance" of the service on the same database
    second = await startTccModule(testEnv.env);
    tcc = first.moduleRef.get(TccCoordinator);
    db = first.db;
  });

  afterAll(async () => {
    await first?.moduleRef.close();
    await second?.moduleRef.close();
    await testEnv?.cleanup();
  });

  beforeEach(() => probe.reset());

  async function openTx(name: string, timeoutMs: number, payload: Record<string, unknown> = {}): Promise<string> {
    const txId = await tcc.begin({ name, timeoutMs });
    await tcc.tryBranch(txId, 'hold', { amount: 1, ...payload }, { key: 'a' });
    await tcc.tryBranch(txId, 'hold', { amount: 2, ...payload }, { key: 'b' });
    return txId;
  }

  /** Each branch's participant saw exactly one confirm xor one cancel, matching the tx's final status. */
  async function expectConsistent(txIds: string[]): Promise<void> {
    const statuses = await tcc.statusesOf(txIds);
    const effects = await effectCounts(db, txIds);
    const holds = await holdStates(db, txIds);
    for (const txId of txIds) {
      const status = statuses.get(txId);
      expect(['CONFIRMED', 'CANCELLED']).toContain(status);
      for (const key of ['a', 'b']) {
        const branchId = `${txId}:hold:${key}`;
        const e = effects.get(branchId) ?? {};
        expect(e).toEqual(status === 'CONFIRMED' ? { try: 1, confirm: 1 } : { try: 1, cancel: 1 });
        expect(holds.get(branchId)).toBe(status === 'CONFIRMED' ? 'CONFIRMED' : 'RELEASED');
      }
    }
  }

  it('lets exactly one of a concurrent commit and rollback win, for each of 50 txs', async () => {
    const txIds = await Promise.all(Array.from({ length: 50 }, () => openTx('race', 60_000)));
    const other = second.moduleRef.get(TccCoordinator); // the rival runs on another instance
    // alternate who starts first, so both sides win some races
    const raced = await Promise.all(
      txIds.map((txId, i) => {
        let commit: Promise<TxOutcome>;
        let rollback: Promise<TxOutcome>;
        if (i % 2 === 0) {
          commit = tcc.commit(txId);
          rollback = other.rollback(txId, 'USER');
        } else {
          rollback = other.rollback(txId, 'USER');
          commit = tcc.commit(txId);
        }
        return Promise.allSettled([commit, rollback]);
      }),
    );
    const statuses = await tcc.statusesOf(txIds);
    raced.forEach(([commit, rollback], i) => {
      const winners = [commit, rollback].filter((r) => r.status === 'fulfilled');
      const losers = [commit, rollback].filter((r) => r.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect(losers[0].reason).toBeInstanceOf(TccConflictError);
      const won = winners[0].value.status;
      expect(statuses.get(txIds[i])).toBe(won);
      expect(won).toBe(commit.status === 'fulfilled' ? 'CONFIRMED' : 'CANCELLED');
      expect((losers[0].reason as TccConflictError).details).toMatchObject({ currentStatus: expect.any(String) });
    });
    await expectConsistent(txIds);
  });

  it('lets exactly one of commit, rollback and expiry win when all race on txs past their deadline', async () => {
    const txIds = await Promise.all(Array.from({ length: 20 }, () => openTx('race-expiry', 400)));
    await sleep(450);
    const recoveryA = first.moduleRef.get(TccRecoveryJob);
    const recoveryB = second.moduleRef.get(TccRecoveryJob);
    // the recovery rounds start first, then a commit and a rollback per tx (alternating order;
    // every third tx a little later, so the expiry gets a head start there)
    const rounds = Promise.allSettled([
      recoveryA.runOnce(),
      recoveryB.runOnce(),
      recoveryA.runOnce(),
      recoveryB.runOnce(),
    ]);
    const other = second.moduleRef.get(TccCoordinator);
    const outcomes = await Promise.all(
      txIds.map(async (txId, i) => {
        if (i % 3 === 2) await sleep(150);
        const rollback = i % 2 ? other.rollback(txId, 'USER') : undefined;
        const commit = tcc.commit(txId);
        return Promise.allSettled([commit, rollback ?? other.rollback(txId, 'USER')]);
      }),
    );
    await rounds;
    // drain whatever the racing rounds left (e.g. a lease won by a worker whose CAS lost)
    for (let i = 0; i < 5; i++) await recoveryA.runOnce();
    const statuses = await tcc.statusesOf(txIds);
    const reasons = new Map<string, string>(
      (await db.query(`SELECT tx_id AS t, cancel_reason AS r FROM tcc_transaction WHERE name = 'race-expiry'`)).map(
        (r: { t: string; r: string }) => [r.t, r.r],
      ),
    );
    txIds.forEach((txId, i) => {
      const [commit, rollback] = outcomes[i];
      const status = statuses.get(txId);
      if (status === 'CONFIRMED') {
        // the commit won: the rollback lost, the expiry left it alone
        expect(commit.status).toBe('fulfilled');
        expect(rollback.status === 'rejected' && rollback.reason).toBeInstanceOf(TccConflictError);
        expect(reasons.get(txId)).toBeNull();
      } else {
        expect(status).toBe('CANCELLED');
        expect(commit.status === 'rejected' && commit.reason).toBeInstanceOf(TccConflictError);
        if (reasons.get(txId) === 'USER')
          expect(rollback.status).toBe('fulfilled'); // the rollback won
        else expect(reasons.get(txId)).toBe('EXPIRED'); // the expiry won (a later rollback of it is idempotent)
      }
    });
    await expectConsistent(txIds);
  });

  it('never lets a rollback miss a branch that is being added at the same time', async () => {
    const txIds = await Promise.all(
      Array.from({ length: 30 }, () => tcc.begin({ name: 'race-branch', timeoutMs: 60_000 })),
    );
    const other = second.moduleRef.get(TccCoordinator);
    const raced = await Promise.all(
      txIds.map((txId, i) => {
        const attempt = tcc.tryBranch(txId, 'hold', { amount: 1, slowMs: i % 3 }, { key: 'late' });
        return Promise.allSettled([attempt, other.rollback(txId, 'USER')]);
      }),
    );
    const statuses = await tcc.statusesOf(txIds);
    const effects = await effectCounts(db, txIds);
    const holds = await holdStates(db, txIds);
    raced.forEach(([tried, rolledBack], i) => {
      const branchId = `${txIds[i]}:hold:late`;
      expect(rolledBack.status).toBe('fulfilled');
      expect(statuses.get(txIds[i])).toBe('CANCELLED');
      if (tried.status === 'fulfilled') {
        // added in time: the rollback saw it and released it
        expect(effects.get(branchId)).toEqual({ try: 1, cancel: 1 });
        expect(holds.get(branchId)).toBe('RELEASED');
      } else {
        // too late: refused, and nothing is held
        expect(tried.reason).toBeInstanceOf(TccConflictError);
        expect(effects.get(branchId)).toBeUndefined();
        expect(holds.has(branchId)).toBe(false);
      }
    });
    expect([...holds.values()].filter((s) => s === 'FROZEN')).toEqual([]);
  });

  it('never lets two recovery workers work on one tx at once, and drives the whole backlog to an end', async () => {
    // backlog: expired TRYING txs and CONFIRMING txs whose first confirm failed
    // Opened with time to spare, then put past their deadline: however slow the machine, every one gets both branches.
    const expiring = await Promise.all(
      Array.from({ length: 30 }, () => openTx('backlog-expiry', 60_000, { slowMs: 15 })),
    );
    const confirming = await Promise.all(
      Array.from({ length: 20 }, () => openTx('backlog-confirm', 60_000, { slowMs: 15, failConfirms: 1 })),
    );
    await Promise.all(confirming.map((txId) => tcc.commit(txId)));
    expect([...(await tcc.statusesOf(confirming)).values()].every((s) => s === 'CONFIRMING')).toBe(true);
    await db.query(
      `UPDATE tcc_transaction SET deadline_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE name = 'backlog-expiry'`,
    );
    await db.query(`UPDATE tcc_transaction SET next_retry_at = UTC_TIMESTAMP(3) WHERE name = 'backlog-confirm'`);

    const workers = [first.moduleRef.get(TccRecoveryJob), second.moduleRef.get(TccRecoveryJob)];
    const claimed = [0, 0];
    const all = [...expiring, ...confirming];
    const deadline = Date.now() + 20_000;
    const work = async (w: number) => {
      while (Date.now() < deadline) {
        const n = await workers[w].runOnce();
        claimed[w] += n;
        const pending = [...(await tcc.statusesOf(all)).values()].filter((s) => s !== 'CONFIRMED' && s !== 'CANCELLED');
        if (pending.length === 0) return;
        if (n === 0) await sleep(5);
      }
    };
    await Promise.all([work(0), work(1)]);

    expect(probe.overlaps).toEqual([]);
    expect(claimed[0]).toBeGreaterThan(0);
    expect(claimed[1]).toBeGreaterThan(0);
    expect(claimed[0] + claimed[1]).toBe(all.length); // every tx claimed exactly once
    // every cancel ran once per branch (afterCancel counts even repeated cancels)
    for (const txId of expiring) {
      expect(probe.afterCancel.get(`${txId}:hold:a`)).toBe(1);
      expect(probe.afterCancel.get(`${txId}:hold:b`)).toBe(1);
    }
    await expectConsistent(all);
    expect([...(await tcc.statusesOf(expiring)).values()].every((s) => s === 'CANCELLED')).toBe(true);
    expect([...(await tcc.statusesOf(confirming)).values()].every((s) => s === 'CONFIRMED')).toBe(true);
  });
});
