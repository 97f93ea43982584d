import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '@app/core';
import { afterLocalCommit, BranchContext, countRefusal, TccParticipant, TccParticipantHandler } from '@app/tcc';
import { CouponRepository } from './repositories/coupon.repository';
import { COUPON_CODE_PATTERN, USER_ID_PATTERN } from '@app/core';
import { couponUses } from './coupon.metrics';

export const COUPON_PARTICIPANT = 'coupon';

/**
 * `use` (checkout): try AVAILABLE→FROZEN, confirm FROZEN→USED, cancel FROZEN→AVAILABLE.
 * `return` (refund): try checks the coupon is USED (holds nothing); confirm USED→AVAILABLE; cancel nothing.
 */
export type CouponBranchPayload = { kind: 'use'; userId: string; code: string } | { kind: 'return'; userId: string; code: string };

/**
 * The `coupon` TCC participant. The library's fence makes each method run at most once per
 * branch; each method here is one conditional UPDATE on the user's coupon row.
 */
@Injectable()
@TccParticipant(COUPON_PARTICIPANT)
export class CouponParticipant implements TccParticipantHandler<CouponBranchPayload> {
  private readonly logger = new Logger(CouponParticipant.name);

  constructor(private readonly coupons: CouponRepository) {}

  async try(em: EntityManager, ctx: BranchContext, payload: CouponBranchPayload): Promise<void> {
    assertValidPayload(payload);
    if (payload.kind === 'return') {
      // Only a USED coupon can go back. A paid order's coupon may still be FROZEN while its
      // checkout's confirm is being retried; returning "nothing" now would let that confirm
      // use the coupon after the refund. Refuse: the refund is retried once the use settles.
      if ((await this.coupons.stateOf(em, payload.userId, payload.code)) !== 'USED') {
        throw DomainError.conflict(`Coupon ${payload.code} of this order is not settled yet; retry the refund later`, {
          code: payload.code,
        });
      }
      return;
    }
    if (!(await this.coupons.freeze(em, payload.userId, payload.code, ctx.txId))) {
      countRefusal(ctx.local, () => couponUses.inc({ outcome: 'refused' }));
      throw new DomainError(ErrorCode.COUPON_UNAVAILABLE, `Coupon ${payload.code} is not available to this user`, {
        code: payload.code,
      });
    }
    await afterLocalCommit(em, ctx.local, () => couponUses.inc({ outcome: 'frozen' }));
  }

  async confirm(em: EntityManager, ctx: BranchContext, payload: CouponBranchPayload): Promise<void> {
    const { userId, code } = payload;
    const moved =
      payload.kind === 'use'
        ? await this.coupons.transition(em, { userId, code, from: 'FROZEN', to: 'USED', txId: ctx.txId, onlyTx: ctx.txId })
        : await this.coupons.transition(em, { userId, code, from: 'USED', to: 'AVAILABLE', txId: ctx.txId });
    if (moved) await afterLocalCommit(em, ctx.local, () => couponUses.inc({ outcome: payload.kind === 'use' ? 'used' : 'returned' }));
    // A confirm must not refuse; a coupon not in the expected state means nothing is left to do.
    else this.logger.warn({ txId: ctx.txId, userId, code, kind: payload.kind }, 'coupon confirm found nothing to change');
  }

  async cancel(em: EntityManager, ctx: BranchContext, payload: CouponBranchPayload): Promise<void> {
    if (payload.kind === 'return') return;
    const { userId, code } = payload;
    if (await this.coupons.transition(em, { userId, code, from: 'FROZEN', to: 'AVAILABLE', txId: null, onlyTx: ctx.txId })) {
      await afterLocalCommit(em, ctx.local, () => couponUses.inc({ outcome: 'released' }));
    } else {
      this.logger.warn({ txId: ctx.txId, userId, code }, 'coupon cancel found no coupon frozen by this transaction');
    }
  }
}

function assertValidPayload(p: CouponBranchPayload): void {
  if (p.kind !== 'use' && p.kind !== 'return') throw DomainError.validation(`Unknown coupon branch kind ${String((p as { kind?: unknown }).kind)}`);
  if (typeof p.userId !== 'string' || !USER_ID_PATTERN.test(p.userId)) throw DomainError.validation('userId is invalid');
  if (typeof p.code !== 'string' || !COUPON_CODE_PATTERN.test(p.code)) {
    // A code that cannot exist is simply not available to this user.
    throw new DomainError(ErrorCode.COUPON_UNAVAILABLE, 'Coupon is not available to this user', { code: p.code });
  }
}
