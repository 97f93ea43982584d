import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BranchContext, TccParticipant, TccParticipantHandler } from '@app/tcc';
import { assertValidPayload, CouponBranchPayload } from './coupon-branch.payload';
import { CouponReturnBranch } from './coupon-return.branch';
import { CouponUseBranch } from './coupon-use.branch';

export const COUPON_PARTICIPANT = 'coupon';

declare module '@app/tcc' {
  interface TccPayloads {
    [COUPON_PARTICIPANT]: CouponBranchPayload;
  }
}

/**
 * The `coupon` TCC participant: routes each branch to the handler of its kind (a checkout's
 * `use`, a refund's `return`). The library's fence makes each method run at most once per branch.
 */
@Injectable()
@TccParticipant(COUPON_PARTICIPANT)
export class CouponParticipant implements TccParticipantHandler<CouponBranchPayload> {
  constructor(
    private readonly useCoupon: CouponUseBranch,
    private readonly returnCoupon: CouponReturnBranch,
  ) {}

  async try(em: EntityManager, ctx: BranchContext, payload: CouponBranchPayload): Promise<void> {
    assertValidPayload(payload);
    return payload.kind === 'use' ? this.useCoupon.try(em, ctx, payload) : this.returnCoupon.try(em, ctx, payload);
  }

  confirm(em: EntityManager, ctx: BranchContext, payload: CouponBranchPayload): Promise<void> {
    return payload.kind === 'use'
      ? this.useCoupon.confirm(em, ctx, payload)
      : this.returnCoupon.confirm(em, ctx, payload);
  }

  cancel(em: EntityManager, ctx: BranchContext, payload: CouponBranchPayload): Promise<void> {
    return payload.kind === 'use' ? this.useCoupon.cancel(em, ctx, payload) : this.returnCoupon.cancel();
  }
}
