import { counter } from '@app/core';

/** Coupon state changes by outcome: frozen | refused | used | released | returned. */
export const couponUses = counter({
  name: 'coupon_uses_total',
  help: 'Coupon uses by outcome (frozen at checkout, refused, used on payment, released on cancel, returned on refund)',
  labelNames: ['outcome'] as const,
});
