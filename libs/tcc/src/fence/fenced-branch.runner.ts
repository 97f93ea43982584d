import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { GroupCommit } from '../local/group-commit';
import type { BranchContext, TccParticipantHandler } from '../participant';
import { BranchRepository } from '../repositories/branch.repository';
import { FenceRepository } from './fence.repository';

/** The fence said no: confirm after cancel, cancel after confirm, or confirm of a branch never tried. */
export class FenceRefusedError extends Error {
  constructor(
    readonly branchId: string,
    readonly phase: 'try' | 'confirm' | 'cancel',
    readonly fenceStatus: string | null,
  ) {
    super(`${phase} of branch ${branchId} refused by its fence (${fenceStatus ?? 'never tried'})`);
    this.name = 'FenceRefusedError';
  }
}

export type TryResult = 'TRIED' | 'ALREADY_TRIED';
export type ConfirmResult = 'CONFIRMED' | 'ALREADY_CONFIRMED';
export type CancelResult = 'CANCELLED' | 'EMPTY_ROLLBACK' | 'ALREADY_CANCELLED';

/**
 * Runs one phase of one branch: the fence row and the participant's business change in ONE
 * local transaction (the participant gets its EntityManager), exactly per the fence rules of
 * docs/tcc.md#fences.
 */
@Injectable()
export class FencedBranchRunner {
  private readonly logger = new Logger(FencedBranchRunner.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly fences: FenceRepository,
    private readonly branches: BranchRepository,
    private readonly group: GroupCommit,
  ) {}

  /**
   * Fence TRIED inserted → business try. Already TRIED → idempotent success, nothing redone.
   * CANCELLED → refused: a try arriving after its cancel must freeze nothing (anti-hanging).
   */
  async runTry<P>(handler: TccParticipantHandler<P>, ctx: BranchContext, payload: P): Promise<TryResult> {
    return this.group.runAlone(async (em, local) => {
      if (await this.fences.insertIfAbsent(em, ctx.txId, ctx.branchId, 'TRIED')) {
        await handler.try(em, { ...ctx, local }, payload);
        await this.branches.markBranch(em, ctx.branchId, 'TRIED', ['TRYING', 'TRY_FAILED']);
        return 'TRIED';
      }
      const status = await this.fences.statusOf(em, ctx.txId, ctx.branchId);
      if (status === 'CANCELLED') throw new FenceRefusedError(ctx.branchId, 'try', status);
      return 'ALREADY_TRIED';
    });
  }

  /**
   * Fence TRIED → CONFIRMED moved → business confirm (then `afterConfirm`, once). Already
   * CONFIRMED → no-op. CANCELLED or missing → refused: the coordinator must not confirm it.
   */
  async runConfirm<P>(handler: TccParticipantHandler<P>, ctx: BranchContext, payload: P): Promise<ConfirmResult> {
    const result = await this.group.runAlone(async (em, local): Promise<ConfirmResult> => {
      if (await this.fences.moveFromTried(em, ctx.txId, ctx.branchId, 'CONFIRMED')) {
        await handler.confirm(em, { ...ctx, local }, payload);
        await this.branches.markBranch(em, ctx.branchId, 'CONFIRMED');
        return 'CONFIRMED';
      }
      const status = await this.fences.statusOf(em, ctx.txId, ctx.branchId);
      if (status !== 'CONFIRMED') throw new FenceRefusedError(ctx.branchId, 'confirm', status);
      await this.branches.markBranch(em, ctx.branchId, 'CONFIRMED');
      return 'ALREADY_CONFIRMED';
    });
    if (result === 'CONFIRMED' && handler.afterConfirm) {
      // Runs once, after the commit; its failure cannot undo the confirm, so it is only logged.
      await handler
        .afterConfirm(ctx, payload)
        .catch((err: unknown) =>
          this.logger.error({ txId: ctx.txId, branchId: ctx.branchId, err }, 'afterConfirm failed'),
        );
    }
    return result;
  }

  /**
   * A commit meets a branch marked TRY_FAILED. A refused attempt left no fence, but a retry of
   * the same branch may have run concurrently and succeeded (its caller was told so) after the
   * refusal was recorded. The fence decides, in one local transaction: CANCELLED inserted →
   * nothing was tried (empty rollback, and the tombstone refuses a try still on its way; its
   * caller gets a conflict, never a success). Otherwise the INSERT waited for that try's commit:
   * TRIED → confirmed like any tried branch; already CONFIRMED/CANCELLED → no-op.
   */
  async runConfirmOrAbandon<P>(
    handler: TccParticipantHandler<P>,
    cancelCtx: BranchContext,
    payload: P,
  ): Promise<ConfirmResult | CancelResult> {
    const { cancelReason: _reason, ...ctx } = cancelCtx;
    const result = await this.group.runAlone(async (em, local): Promise<ConfirmResult | CancelResult> => {
      if (await this.fences.insertIfAbsent(em, ctx.txId, ctx.branchId, 'CANCELLED')) return 'EMPTY_ROLLBACK';
      if (await this.fences.moveFromTried(em, ctx.txId, ctx.branchId, 'CONFIRMED')) {
        await handler.confirm(em, { ...ctx, local }, payload);
        await this.branches.markBranch(em, ctx.branchId, 'CONFIRMED');
        return 'CONFIRMED';
      }
      const status = await this.fences.statusOf(em, ctx.txId, ctx.branchId);
      if (status === 'CONFIRMED') await this.branches.markBranch(em, ctx.branchId, 'CONFIRMED');
      return status === 'CONFIRMED' ? 'ALREADY_CONFIRMED' : 'ALREADY_CANCELLED';
    });
    if (result === 'CONFIRMED' && handler.afterConfirm) {
      await handler
        .afterConfirm(ctx, payload)
        .catch((err: unknown) =>
          this.logger.error({ txId: ctx.txId, branchId: ctx.branchId, err }, 'afterConfirm failed'),
        );
    }
    if (result === 'EMPTY_ROLLBACK' || result === 'ALREADY_CANCELLED') {
      if (handler.afterCancel) await handler.afterCancel(cancelCtx, payload);
      await this.branches.markBranch(this.dataSource.manager, ctx.branchId, 'CANCELLED');
    }
    return result;
  }

  /**
   * Fence CANCELLED inserted → empty rollback (nothing was tried; a late try is now refused).
   * Otherwise TRIED → CANCELLED moved → business cancel; already CANCELLED → no-op; CONFIRMED →
   * refused. `afterCancel` runs after the commit every time (also empty / repeated), and the
   * branch is marked CANCELLED only after it succeeded, so a crash in between is retried.
   */
  async runCancel<P>(handler: TccParticipantHandler<P>, ctx: BranchContext, payload: P): Promise<CancelResult> {
    const result = await this.group.runAlone(async (em, local): Promise<CancelResult> => {
      if (await this.fences.insertIfAbsent(em, ctx.txId, ctx.branchId, 'CANCELLED')) return 'EMPTY_ROLLBACK';
      if (await this.fences.moveFromTried(em, ctx.txId, ctx.branchId, 'CANCELLED')) {
        await handler.cancel(em, { ...ctx, local }, payload);
        return 'CANCELLED';
      }
      const status = await this.fences.statusOf(em, ctx.txId, ctx.branchId);
      if (status !== 'CANCELLED') throw new FenceRefusedError(ctx.branchId, 'cancel', status);
      return 'ALREADY_CANCELLED';
    });
    if (handler.afterCancel) await handler.afterCancel(ctx, payload);
    await this.branches.markBranch(this.dataSource.manager, ctx.branchId, 'CANCELLED');
    return result;
  }
}
