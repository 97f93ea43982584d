import type { CancelReason } from '@app/tcc';

export const ORDER_STATUSES = ['PENDING_PAYMENT', 'PAID', 'CANCELLED', 'EXPIRED', 'REFUNDED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * Every legal order transition, in one place. The repository refuses any other
 * (`assertOrderTransition`), and its SQL is a compare-and-set on the `from` status, so of
 * a concurrent pay, cancel and expiry exactly one transition out of PENDING_PAYMENT wins.
 *
 *   PENDING_PAYMENT ──checkout confirm──▶ PAID ──refund confirm──▶ REFUNDED
 *         │ rollback USER/OPERATOR/TRY_FAILED ──▶ CANCELLED
 *         └ rollback EXPIRED (recovery job)   ──▶ EXPIRED
 */
const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING_PAYMENT: ['PAID', 'CANCELLED', 'EXPIRED'],
  PAID: ['REFUNDED'],
  CANCELLED: [],
  EXPIRED: [],
  REFUNDED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertOrderTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) throw new Error(`Illegal order transition ${from} -> ${to}`);
}

export function isTerminal(status: OrderStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** The status a rolled-back checkout leaves its order in: an expiry is not a cancellation. */
export function statusAfterRollback(reason: CancelReason | undefined): 'CANCELLED' | 'EXPIRED' {
  return reason === 'EXPIRED' ? 'EXPIRED' : 'CANCELLED';
}
