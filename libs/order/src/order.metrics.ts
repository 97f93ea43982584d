import { counter } from '@app/core';

/**
 * Orders by outcome: placed, refused (reason = error code), paid, cancelled, expired,
 * refunded, payment_refused (reason = error code), late_payment_refunded.
 */
export const ordersByOutcome = counter({
  name: 'orders_total',
  help: 'Orders by outcome (placed, refused, paid, cancelled, expired, refunded, payment_refused, late_payment_refunded)',
  labelNames: ['outcome', 'reason'] as const,
});

export function countOrderOutcome(outcome: string, reason = ''): void {
  ordersByOutcome.inc({ outcome, reason });
}
