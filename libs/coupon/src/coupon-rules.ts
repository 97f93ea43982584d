import type { CouponType } from './entities/coupon.entity';
import type { UserCouponState } from './entities/user-coupon.entity';

/** What the pricing rules need to know of a coupon issued to a user. */
export interface CouponTerms {
  type: CouponType;
  value: number;
  minOrderCents: number;
  validFrom: Date | null;
  validTo: Date | null;
}

/** Why a coupon cannot be applied (null = it can). */
export type UnusableReason = 'NOT_AVAILABLE' | 'NOT_YET_VALID' | 'EXPIRED' | 'BELOW_MINIMUM';

/** The validity window is [validFrom, validTo): open at the start, closed at the end. */
export function isWithinValidity(terms: Pick<CouponTerms, 'validFrom' | 'validTo'>, at: Date): boolean {
  return (terms.validFrom === null || terms.validFrom <= at) && (terms.validTo === null || at < terms.validTo);
}

export function unusableReason(
  terms: CouponTerms,
  state: UserCouponState,
  subtotalCents: number,
  at: Date,
): UnusableReason | null {
  if (state !== 'AVAILABLE') return 'NOT_AVAILABLE';
  if (terms.validFrom !== null && at < terms.validFrom) return 'NOT_YET_VALID';
  if (terms.validTo !== null && at >= terms.validTo) return 'EXPIRED';
  if (subtotalCents < terms.minOrderCents) return 'BELOW_MINIMUM';
  return null;
}

/**
 * FIXED: the value, at most the subtotal (a coupon never makes an order negative).
 * PERCENT: floor(subtotal * value / 100), in BigInt so large subtotals lose no cent.
 */
export function discountCents(terms: Pick<CouponTerms, 'type' | 'value'>, subtotalCents: number): number {
  if (subtotalCents <= 0) return 0;
  if (terms.type === 'FIXED') return Math.min(terms.value, subtotalCents);
  return Number((BigInt(subtotalCents) * BigInt(terms.value)) / 100n);
}
