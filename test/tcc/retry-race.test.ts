import { Injectable, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { CoreModule, DomainError, ErrorCode } from '@app/core';
import {
  BranchContext,
  TccConflictError,
  TccCoordinator,
  TccModule,
  TccParticipant,
  TccParticipantHandler,
} from '@app/tcc';
import { newTestEnv, TestEnv } from '../helpers/test-env';
import { effectCounts, holdStates, sleep, TCC_TEST_MIGRATIONS } from './support/tcc-test-module';
import { TestParticipantsModule } from './support/test-participants';

declare module '@app/tcc' {
  interface TccPayloads {
    flaky: { amount: number };
  }
}

/** Try calls per branch: the first attempt refuses slowly, the retry succeeds slowly. */
const calls = new Map<string, number>();

@Injectable()
@TccParticipant('flaky')
class FlakyParticipant implements TccParticipantHandler<{ amount: number }> {
  async try(em: EntityManager, ctx: BranchContext, p: { amount: number }): Promise<void> {
    const n = (calls.get(ctx.branchId) ?? 0) + 1;
    calls.set(ctx.branchId, n);
    if (n === 1) {
      await sleep(200); // holds its fence insert meanwhile, so the retry waits for this refusal
      throw new DomainError(ErrorCode.INSUFFICIENT_STOCK, 'refused this time', { branchId: ctx.branchId });
    }
    await sleep(600); // the first attempt's refusal is recorded while this try is still running
    await em.query("INSERT INTO test_hold (branch_id, tx_id, amount, state) VALUES (?, ?, ?, 'FROZEN')", [
      ctx.branchId,
      ctx.txId,
      p.amount,
    ]);
    await em.query("INSERT INTO test_effect (tx_id, branch_id, phase) VALUES (?, ?, 'try')", [ctx.txId, ctx.branchId]);
  }

  async confirm(em: EntityManager, ctx: BranchContext): Promise<void> {
    await em.query("UPDATE test_hold SET state = 'CONFIRMED' WHERE branch_id = ? AND state = 'FROZEN'", [ctx.branchId]);
    await em.query("INSERT INTO test_effect (tx_id, branch_id, phase) VALUES (?, ?, 'confirm')", [
      ctx.txId,
      ctx.branchId,
    ]);
  }

  async cancel(em: EntityManager, ctx: BranchContext): Promise<void> {
    await em.query("UPDATE test_hold SET state = 'RELEASED' WHERE branch_id = ? AND state = 'FROZEN'", [ctx.branchId]);
    await em.query("INSERT INTO test_effect (tx_id, branch_id, phase) VALUES (?, ?, 'cancel')", [
      ctx.txId,
      ctx.branchId,
    ]);
  }
}

@Module({ providers: [FlakyParticipant] })
class FlakyModule {}

describe('TCC: a commit while a retry of a refused branch is still running', () => {
  let testEnv: TestEnv;
  let moduleRef: TestingModule;
  let db: DataSource;
  let tcc: TccCoordinator;

  beforeAll(async () => {
    testEnv = newTestEnv({ DB_POOL_SIZE: '40' }); // two connections per tx are busy at once
    moduleRef = await Test.createTestingModule({
      imports: [
        CoreModule.forRoot({ migrations: TCC_TEST_MIGRATIONS, env: testEnv.env }),
        TccModule,
        TestParticipantsModule,
        FlakyModule,
      ],
    }).compile();
    await moduleRef.init();
    db = moduleRef.get<DataSource>(getDataSourceToken());
    tcc = moduleRef.get(TccCoordinator);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await testEnv?.cleanup();
  });

  it('confirms a retry its caller was told succeeded, never cancels it', async () => {
    const txIds = await Promise.all(
      Array.from({ length: 12 }, () => tcc.begin({ name: 'retry-race', timeoutMs: 60_000 })),
    );
    const outcomes = await Promise.all(
      txIds.map(async (txId, i) => {
        const first = tcc.tryBranch(txId, 'flaky', { amount: 1 }).then(
          () => 'ok',
          (err: unknown) => (err instanceof DomainError ? err.code : String(err)),
        );
        await sleep(20 + 5 * i); // the retry starts while the first attempt still runs
        const retry = tcc.tryBranch(txId, 'flaky', { amount: 1 }).then(
          () => 'ok',
          (err: unknown) => (err instanceof TccConflictError ? 'conflict' : String(err)),
        );
        // the first caller was refused and commits anyway (the retry is still running)
        expect(await first).toBe(ErrorCode.INSUFFICIENT_STOCK);
        const commit = await tcc.commit(txId);
        return { txId, commit: commit.status, retry: await retry };
      }),
    );

    const holds = await holdStates(db, txIds);
    const effects = await effectCounts(db, txIds);
    const statuses = await tcc.statusesOf(txIds);
    for (const o of outcomes) {
      const branchId = `${o.txId}:flaky`;
      expect(statuses.get(o.txId)).toBe('CONFIRMED');
      const branch = (await tcc.findTransaction(o.txId))!.branches[0];
      if (o.retry === 'ok') {
        // told it succeeded: it must be confirmed, never cancelled
        expect({ hold: holds.get(branchId), effects: effects.get(branchId), branch: branch.status }).toEqual({
          hold: 'CONFIRMED',
          effects: { try: 1, confirm: 1 },
          branch: 'CONFIRMED',
        });
      } else {
        // refused: it holds nothing
        expect(o.retry).toBe('conflict');
        expect({ hold: holds.get(branchId), effects: effects.get(branchId), branch: branch.status }).toEqual({
          hold: undefined,
          effects: undefined,
          branch: 'CANCELLED',
        });
      }
    }
    // the window really was hit: most retries succeeded after their branch was marked TRY_FAILED
    expect(outcomes.filter((o) => o.retry === 'ok').length).toBeGreaterThanOrEqual(6);
  });
});
