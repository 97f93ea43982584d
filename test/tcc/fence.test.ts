import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import { DomainError, ErrorCode } from '@app/core';
import { FencedBranchRunner, FenceRefusedError, type BranchContext } from '@app/tcc';
import { newTestEnv, TestEnv } from '../helpers/test-env';
import { effectCounts, holdStates, startTccModule } from './support/tcc-test-module';
import { HoldParticipant, HoldPayload, probe } from './support/test-participants';

/** Every fence case of docs/tcc.md#fences, run on the fence layer directly (no coordinator in the way). */
describe('TCC fence', () => {
  let testEnv: TestEnv;
  let moduleRef: TestingModule;
  let db: DataSource;
  let runner: FencedBranchRunner;
  let hold: HoldParticipant;
  const payload: HoldPayload = { amount: 3 };

  beforeAll(async () => {
    testEnv = newTestEnv();
    ({ moduleRef, db } = await startTccModule(testEnv.env));
    runner = moduleRef.get(FencedBranchRunner);
    hold = moduleRef.get(HoldParticipant);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await testEnv?.cleanup();
  });

  beforeEach(() => probe.reset());

  function newBranch(): BranchContext {
    const txId = ulid();
    return { txId, branchId: `${txId}:hold`, txName: 'fence-test', cancelReason: 'USER' };
  }

  async function fenceStatus(ctx: BranchContext): Promise<string | undefined> {
    const rows = await db.query('SELECT status FROM tcc_fence WHERE tx_id = ? AND branch_id = ?', [
      ctx.txId,
      ctx.branchId,
    ]);
    return rows[0]?.status;
  }

  async function effects(ctx: BranchContext): Promise<Record<string, number>> {
    return (await effectCounts(db, [ctx.txId])).get(ctx.branchId) ?? {};
  }

  it('runs a duplicate try only once (idempotent success, nothing frozen twice)', async () => {
    const ctx = newBranch();
    expect(await runner.runTry(hold, ctx, payload)).toBe('TRIED');
    expect(await runner.runTry(hold, ctx, payload)).toBe('ALREADY_TRIED');
    expect(await effects(ctx)).toEqual({ try: 1 });
    expect(await fenceStatus(ctx)).toBe('TRIED');
    expect((await holdStates(db, [ctx.txId])).get(ctx.branchId)).toBe('FROZEN');
  });

  it('runs a try once when ten duplicates arrive at the same time', async () => {
    const ctx = newBranch();
    const results = await Promise.all(Array.from({ length: 10 }, () => runner.runTry(hold, ctx, payload)));
    expect(results.filter((r) => r === 'TRIED')).toHaveLength(1);
    expect(results.filter((r) => r === 'ALREADY_TRIED')).toHaveLength(9);
    expect(await effects(ctx)).toEqual({ try: 1 });
  });

  it('runs a duplicate confirm only once, and afterConfirm once', async () => {
    const ctx = newBranch();
    await runner.runTry(hold, ctx, payload);
    expect(await runner.runConfirm(hold, ctx, payload)).toBe('CONFIRMED');
    expect(await runner.runConfirm(hold, ctx, payload)).toBe('ALREADY_CONFIRMED');
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => runner.runConfirm(hold, ctx, payload)));
    expect(concurrent.every((r) => r === 'ALREADY_CONFIRMED')).toBe(true);
    expect(await effects(ctx)).toEqual({ try: 1, confirm: 1 });
    expect(probe.afterConfirm.get(ctx.branchId)).toBe(1);
    expect(await fenceStatus(ctx)).toBe('CONFIRMED');
    expect((await holdStates(db, [ctx.txId])).get(ctx.branchId)).toBe('CONFIRMED');
  });

  it('runs a duplicate cancel only once, yet runs afterCancel on every attempt', async () => {
    const ctx = newBranch();
    await runner.runTry(hold, ctx, payload);
    expect(await runner.runCancel(hold, ctx, payload)).toBe('CANCELLED');
    expect(await runner.runCancel(hold, ctx, payload)).toBe('ALREADY_CANCELLED');
    expect(await effects(ctx)).toEqual({ try: 1, cancel: 1 });
    expect(probe.afterCancel.get(ctx.branchId)).toBe(2);
    expect((await holdStates(db, [ctx.txId])).get(ctx.branchId)).toBe('RELEASED');
  });

  it('releases once when ten cancels of a tried branch arrive at the same time', async () => {
    const ctx = newBranch();
    await runner.runTry(hold, ctx, payload);
    const results = await Promise.all(Array.from({ length: 10 }, () => runner.runCancel(hold, ctx, payload)));
    expect(results.filter((r) => r === 'CANCELLED')).toHaveLength(1);
    expect(results.filter((r) => r === 'ALREADY_CANCELLED')).toHaveLength(9);
    expect(await effects(ctx)).toEqual({ try: 1, cancel: 1 });
  });

  it('treats a cancel before any try as an empty rollback, and refuses the late try (it freezes nothing)', async () => {
    const ctx = newBranch();
    expect(await runner.runCancel(hold, ctx, payload)).toBe('EMPTY_ROLLBACK');
    expect(probe.afterCancel.get(ctx.branchId)).toBe(1);
    expect(await fenceStatus(ctx)).toBe('CANCELLED');

    await expect(runner.runTry(hold, ctx, payload)).rejects.toBeInstanceOf(FenceRefusedError);
    expect(await effects(ctx)).toEqual({});
    expect((await holdStates(db, [ctx.txId])).size).toBe(0);
    // a repeated cancel of the empty rollback stays a no-op for the business, still calls afterCancel
    expect(await runner.runCancel(hold, ctx, payload)).toBe('ALREADY_CANCELLED');
    expect(probe.afterCancel.get(ctx.branchId)).toBe(2);
  });

  it('refuses a confirm after the cancel', async () => {
    const ctx = newBranch();
    await runner.runTry(hold, ctx, payload);
    await runner.runCancel(hold, ctx, payload);
    const err = await runner.runConfirm(hold, ctx, payload).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FenceRefusedError);
    expect((err as FenceRefusedError).fenceStatus).toBe('CANCELLED');
    expect(await effects(ctx)).toEqual({ try: 1, cancel: 1 });
    expect((await holdStates(db, [ctx.txId])).get(ctx.branchId)).toBe('RELEASED');
    expect(probe.afterConfirm.get(ctx.branchId)).toBeUndefined();
  });

  it('refuses a cancel after the confirm (and does not run afterCancel)', async () => {
    const ctx = newBranch();
    await runner.runTry(hold, ctx, payload);
    await runner.runConfirm(hold, ctx, payload);
    const err = await runner.runCancel(hold, ctx, payload).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FenceRefusedError);
    expect((err as FenceRefusedError).fenceStatus).toBe('CONFIRMED');
    expect(await effects(ctx)).toEqual({ try: 1, confirm: 1 });
    expect((await holdStates(db, [ctx.txId])).get(ctx.branchId)).toBe('CONFIRMED');
    expect(probe.afterCancel.get(ctx.branchId)).toBeUndefined();
  });

  it('refuses to confirm a branch that was never tried', async () => {
    const ctx = newBranch();
    const err = await runner.runConfirm(hold, ctx, payload).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FenceRefusedError);
    expect((err as FenceRefusedError).fenceStatus).toBeNull();
    expect(await fenceStatus(ctx)).toBeUndefined();
  });

  it('rolls the fence back with a refused try, so a later cancel is an empty rollback', async () => {
    const ctx = newBranch();
    const err = await runner.runTry(hold, ctx, { amount: 1, refuse: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(ErrorCode.INSUFFICIENT_STOCK);
    expect(await fenceStatus(ctx)).toBeUndefined();
    expect(await runner.runCancel(hold, ctx, payload)).toBe('EMPTY_ROLLBACK');
  });

  it('keeps a racing try and cancel consistent: either tried-then-released or empty rollback with nothing frozen', async () => {
    const contexts = Array.from({ length: 20 }, () => newBranch());
    await Promise.all(
      contexts.map((ctx) =>
        Promise.allSettled([runner.runTry(hold, ctx, { amount: 1, slowMs: 5 }), runner.runCancel(hold, ctx, payload)]),
      ),
    );
    const states = await holdStates(
      db,
      contexts.map((c) => c.txId),
    );
    const counts = await effectCounts(
      db,
      contexts.map((c) => c.txId),
    );
    for (const ctx of contexts) {
      expect(await fenceStatus(ctx)).toBe('CANCELLED');
      const e = counts.get(ctx.branchId) ?? {};
      if (states.has(ctx.branchId)) {
        expect(states.get(ctx.branchId)).toBe('RELEASED');
        expect(e).toEqual({ try: 1, cancel: 1 });
      } else {
        expect(e).toEqual({});
      }
    }
  });
});
