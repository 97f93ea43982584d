import { COUPON_CODE_PATTERN, DomainError, ErrorCode, USER_ID_PATTERN } from '@app/core';

/** Payloads of the `coupon` participant's branches (module-contracts.md). */

/** Checkout: try AVAILABLE→FROZEN, confirm FROZEN→USED, cancel FROZEN→AVAILABLE. */
export interface CouponUsePayload {
  kind: 'use';
  userId: string;
  code: string;
}

/** Refund: try checks the coupon is USED (holds nothing); confirm USED→AVAILABLE; cancel nothing. */
export interface CouponReturnPayload {
  kind: 'return';
  userId: string;
  code: string;
}

export type CouponBranchPayload = CouponUsePayload | CouponReturnPayload;

export function assertValidPayload(p: CouponBranchPayload): void {
  if (p.kind !== 'use' && p.kind !== 'return')
    throw DomainError.validation(`Unknown coupon branch kind ${String((p as { kind?: unknown }).kind)}`);
  if (typeof p.userId !== 'string' || !USER_ID_PATTERN.test(p.userId))
    throw DomainError.validation('userId is invalid');
  if (typeof p.code !== 'string' || !COUPON_CODE_PATTERN.test(p.code)) {
    // A code that cannot exist is simply not available to this user.
    throw new DomainError(ErrorCode.COUPON_UNAVAILABLE, 'Coupon is not available to this user', { code: p.code });
  }
}
