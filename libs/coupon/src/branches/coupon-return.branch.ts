import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError } from '@app/core';
import { afterLocalCommit, type BranchContext, type TccParticipantHandler } from '@app/tcc';
import { couponUses } from '../coupon.metrics';
import { CouponRepository } from '../repositories/coupon.repository';
import type { CouponReturnPayload } from './coupon-branch.payload';

/**
 * A refund gives the order's coupon back: try checks it is USED (and holds nothing), confirm
 * USED→AVAILABLE, cancel has nothing to undo.
 */
@Injectable()
export class CouponReturnBranch implements TccParticipantHandler<CouponReturnPayload> {
  private readonly logger = new Logger(CouponReturnBranch.name);

  constructor(private readonly coupons: CouponRepository) {}

  async try(em: EntityManager, _ctx: BranchContext, payload: CouponReturnPayload): Promise<void> {
    // Only a USED coupon can go back. A paid order's coupon may still be FROZEN while its
    // checkout's confirm is being retried; returning "nothing" now would let that confirm
    // use the coupon after the refund. Refuse: the refund is retried once the use settles.
    if ((await this.coupons.stateOf(em, payload.userId, payload.code)) !== 'USED') {
      throw DomainError.conflict(`Coupon ${payload.code} of this order is not settled yet; retry the refund later`, {
        code: payload.code,
      });
    }
  }

  async confirm(em: EntityManager, ctx: BranchContext, payload: CouponReturnPayload): Promise<void> {
    const { userId, code } = payload;
    if (await this.coupons.transition(em, { userId, code, from: 'USED', to: 'AVAILABLE', txId: ctx.txId })) {
      await afterLocalCommit(em, ctx.local, () => couponUses.inc({ outcome: 'returned' }));
    } else {
      // A confirm must not refuse; a coupon not in the expected state means nothing is left to do.
      this.logger.warn({ txId: ctx.txId, userId, code, kind: payload.kind }, 'coupon confirm found nothing to change');
    }
  }

  async cancel(): Promise<void> {
    // the try held nothing
  }
}
