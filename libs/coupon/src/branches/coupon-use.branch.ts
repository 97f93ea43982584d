import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '@app/core';
import { afterLocalCommit, countRefusal, type BranchContext, type TccParticipantHandler } from '@app/tcc';
import { couponUses } from '../coupon.metrics';
import { CouponRepository } from '../repositories/coupon.repository';
import type { CouponUsePayload } from './coupon-branch.payload';

/**
 * A checkout uses the user's coupon. Each phase is one conditional UPDATE on the coupon row:
 * try AVAILABLE→FROZEN (by this tx), confirm FROZEN→USED, cancel FROZEN→AVAILABLE (only if this
 * tx froze it).
 */
@Injectable()
export class CouponUseBranch implements TccParticipantHandler<CouponUsePayload> {
  private readonly logger = new Logger(CouponUseBranch.name);

  constructor(private readonly coupons: CouponRepository) {}

  async try(em: EntityManager, ctx: BranchContext, payload: CouponUsePayload): Promise<void> {
    if (!(await this.coupons.freeze(em, payload.userId, payload.code, ctx.txId))) {
      countRefusal(ctx.local, () => couponUses.inc({ outcome: 'refused' }));
      throw new DomainError(ErrorCode.COUPON_UNAVAILABLE, `Coupon ${payload.code} is not available to this user`, {
        code: payload.code,
      });
    }
    await afterLocalCommit(em, ctx.local, () => couponUses.inc({ outcome: 'frozen' }));
  }

  async confirm(em: EntityManager, ctx: BranchContext, payload: CouponUsePayload): Promise<void> {
    const { userId, code } = payload;
    if (
      await this.coupons.transition(em, { userId, code, from: 'FROZEN', to: 'USED', txId: ctx.txId, onlyTx: ctx.txId })
    ) {
      await afterLocalCommit(em, ctx.local, () => couponUses.inc({ outcome: 'used' }));
    } else {
      // A confirm must not refuse; a coupon not in the expected state means nothing is left to do.
      this.logger.warn({ txId: ctx.txId, userId, code, kind: payload.kind }, 'coupon confirm found nothing to change');
    }
  }

  async cancel(em: EntityManager, ctx: BranchContext, payload: CouponUsePayload): Promise<void> {
    const { userId, code } = payload;
    if (
      await this.coupons.transition(em, { userId, code, from: 'FROZEN', to: 'AVAILABLE', txId: null, onlyTx: ctx.txId })
    ) {
      await afterLocalCommit(em, ctx.local, () => couponUses.inc({ outcome: 'released' }));
    } else {
      this.logger.warn({ txId: ctx.txId, userId, code }, 'coupon cancel found no coupon frozen by this transaction');
    }
  }
}
