import { Injectable, Module } from '@nestjs/common';
import { MigrationInterface, QueryRunner, type EntityManager } from 'typeorm';
import { DomainError, ErrorCode, sleep } from '@app/core';
import { BranchContext, TccParticipant, TccParticipantHandler } from '@app/tcc';

/**
 * Small participants for the TCC tests. Their business effects (a "hold" row per branch and a
 * row per executed phase) are written with the EntityManager they receive, so they commit or
 * roll back together with the fence: counting rows shows what really happened.
 */
export class TccTestTables1700000090000 implements MigrationInterface {
  name = 'TccTestTables1700000090000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE test_hold (
        branch_id VARCHAR(200) NOT NULL PRIMARY KEY,
        tx_id VARCHAR(64) NOT NULL,
        amount INT NOT NULL,
        state ENUM('FROZEN','CONFIRMED','RELEASED') NOT NULL
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE test_effect (
        id BIGINT AUTO_INCREMENT PRIMARY KEY,
        tx_id VARCHAR(64) NOT NULL,
        branch_id VARCHAR(200) NOT NULL,
        phase VARCHAR(16) NOT NULL,
        cancel_reason VARCHAR(16) NULL,
        KEY (branch_id)
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE test_effect');
    await q.query('DROP TABLE test_hold');
  }
}

declare module '@app/tcc' {
  interface TccPayloads {
    hold: HoldPayload;
    note: { text: string };
  }
}

export interface HoldPayload {
  amount: number;
  /** try refuses with INSUFFICIENT_STOCK */
  refuse?: boolean;
  /** try refuses this many times (per branch, per process) before it succeeds */
  refuseTries?: number;
  /** confirm throws this many times (per branch, per process) before it succeeds */
  failConfirms?: number;
  /** each phase sleeps this long inside its local transaction (to widen race windows) */
  slowMs?: number;
  /** in the crash child only: confirm / cancel never return (the process is killed meanwhile) */
  /** afterCancel throws this many times (per branch, per process) before it succeeds */
  failAfterCancels?: number;
  hangOnTry?: boolean;
  hangOnConfirm?: boolean;
  hangOnCancel?: boolean;
}

/** In-process observations shared by every app instance of a test file. */
export const probe = {
  afterCancel: new Map<string, number>(),
  afterCancelFailures: new Map<string, number>(),
  afterConfirm: new Map<string, number>(),
  confirmFailures: new Map<string, number>(),
  tryRefusals: new Map<string, number>(),
  /** txs some participant phase is running for right now, and overlaps seen */
  active: new Map<string, number>(),
  overlaps: [] as string[],
  hanging: 0,
  reset(): void {
    this.afterCancel.clear();
    this.afterCancelFailures.clear();
    this.afterConfirm.clear();
    this.confirmFailures.clear();
    this.tryRefusals.clear();
    this.active.clear();
    this.overlaps = [];
  },
};

const inCrashChild = () => process.env.TCC_CRASH_CHILD === '1';

async function effect(em: EntityManager, ctx: BranchContext, phase: string): Promise<void> {
  await em.query('INSERT INTO test_effect (tx_id, branch_id, phase, cancel_reason) VALUES (?, ?, ?, ?)', [
    ctx.txId,
    ctx.branchId,
    phase,
    ctx.cancelReason ?? null,
  ]);
}

async function watched<T>(txId: string, slowMs: number | undefined, work: () => Promise<T>): Promise<T> {
  if ((probe.active.get(txId) ?? 0) > 0) probe.overlaps.push(txId);
  probe.active.set(txId, (probe.active.get(txId) ?? 0) + 1);
  try {
    if (slowMs) await sleep(slowMs);
    return await work();
  } finally {
    probe.active.set(txId, (probe.active.get(txId) ?? 1) - 1);
  }
}

async function hang(): Promise<never> {
  probe.hanging++;
  return new Promise<never>(() => undefined);
}

@Injectable()
@TccParticipant('hold')
export class HoldParticipant implements TccParticipantHandler<HoldPayload> {
  async try(em: EntityManager, ctx: BranchContext, p: HoldPayload): Promise<void> {
    if (p.refuse) throw new DomainError(ErrorCode.INSUFFICIENT_STOCK, 'not enough', { branchId: ctx.branchId });
    const refused = probe.tryRefusals.get(ctx.branchId) ?? 0;
    if (refused < (p.refuseTries ?? 0)) {
      probe.tryRefusals.set(ctx.branchId, refused + 1);
      throw new DomainError(ErrorCode.INSUFFICIENT_STOCK, 'not enough yet', { branchId: ctx.branchId });
    }
    await watched(ctx.txId, p.slowMs, async () => {
      await em.query("INSERT INTO test_hold (branch_id, tx_id, amount, state) VALUES (?, ?, ?, 'FROZEN')", [
        ctx.branchId,
        ctx.txId,
        p.amount,
      ]);
      await effect(em, ctx, 'try');
      if (p.hangOnTry && inCrashChild()) await hang();
    });
  }

  async confirm(em: EntityManager, ctx: BranchContext, p: HoldPayload): Promise<void> {
    await watched(ctx.txId, p.slowMs, async () => {
      await em.query("UPDATE test_hold SET state = 'CONFIRMED' WHERE branch_id = ? AND state = 'FROZEN'", [
        ctx.branchId,
      ]);
      await effect(em, ctx, 'confirm');
      if (p.hangOnConfirm && inCrashChild()) await hang();
      const failed = probe.confirmFailures.get(ctx.branchId) ?? 0;
      if (failed < (p.failConfirms ?? 0)) {
        probe.confirmFailures.set(ctx.branchId, failed + 1);
        throw new Error(`confirm failure ${failed + 1} of ${p.failConfirms}`);
      }
    });
  }

  async cancel(em: EntityManager, ctx: BranchContext, p: HoldPayload): Promise<void> {
    await watched(ctx.txId, p.slowMs, async () => {
      await em.query("UPDATE test_hold SET state = 'RELEASED' WHERE branch_id = ? AND state = 'FROZEN'", [
        ctx.branchId,
      ]);
      await effect(em, ctx, 'cancel');
      if (p.hangOnCancel && inCrashChild()) await hang();
    });
  }

  async afterCancel(ctx: BranchContext, p: HoldPayload): Promise<void> {
    await watched(ctx.txId, p.slowMs, async () => {
      probe.afterCancel.set(ctx.branchId, (probe.afterCancel.get(ctx.branchId) ?? 0) + 1);
      const failed = probe.afterCancelFailures.get(ctx.branchId) ?? 0;
      if (failed < (p.failAfterCancels ?? 0)) {
        probe.afterCancelFailures.set(ctx.branchId, failed + 1);
        throw new Error(`afterCancel failure ${failed + 1}`);
      }
    });
  }

  async afterConfirm(ctx: BranchContext): Promise<void> {
    probe.afterConfirm.set(ctx.branchId, (probe.afterConfirm.get(ctx.branchId) ?? 0) + 1);
  }
}

/** A second participant without after-hooks, so a tx can span two participants. */
@Injectable()
@TccParticipant('note')
export class NoteParticipant implements TccParticipantHandler<{ text: string }> {
  async try(em: EntityManager, ctx: BranchContext): Promise<void> {
    await effect(em, ctx, 'try');
  }
  async confirm(em: EntityManager, ctx: BranchContext): Promise<void> {
    await effect(em, ctx, 'confirm');
  }
  async cancel(em: EntityManager, ctx: BranchContext): Promise<void> {
    await effect(em, ctx, 'cancel');
  }
}

@Module({ providers: [HoldParticipant, NoteParticipant] })
export class TestParticipantsModule {}
