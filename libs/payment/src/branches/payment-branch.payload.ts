import { DomainError, USER_ID_PATTERN } from '@app/core';

/** Payloads of the `payment` participant's branches (module-contracts.md). */

/** Checkout pay by wallet: try balance→frozen (402 if short), confirm frozen→captured, cancel frozen→balance. */
export interface WalletPaymentPayload {
  kind: 'wallet';
  userId: string;
  orderId: string;
  amountCents: number;
}

/** A gateway payment reported as succeeded: try records it PENDING, confirm CAPTURED, cancel REFUNDED to the wallet. */
export interface ExternalPaymentPayload {
  kind: 'external';
  paymentId: string;
  userId: string;
  orderId: string;
  amountCents: number;
}

/** Refund tx of a paid order: confirm marks the order's captured payment REFUNDED and credits the wallet. */
export interface RefundPaymentPayload {
  kind: 'refund';
  userId: string;
  orderId: string;
  amountCents: number;
}

export type PaymentBranchPayload = WalletPaymentPayload | ExternalPaymentPayload | RefundPaymentPayload;

/** Refuses a malformed payload before any money moves (a negative amount would mint money). */
export function assertValidPaymentPayload(p: PaymentBranchPayload): void {
  const problems: string[] = [];
  if (!['wallet', 'external', 'refund'].includes(p.kind))
    problems.push(`unknown payment branch kind ${String(p.kind)}`);
  if (!Number.isSafeInteger(p.amountCents) || p.amountCents < 0)
    problems.push('amountCents must be a non-negative integer');
  if (typeof p.userId !== 'string' || !USER_ID_PATTERN.test(p.userId)) problems.push('userId is invalid');
  if (typeof p.orderId !== 'string' || p.orderId.length < 1 || p.orderId.length > 64)
    problems.push('orderId must be 1-64 characters');
  if (
    p.kind === 'external' &&
    (typeof p.paymentId !== 'string' || p.paymentId.length < 1 || p.paymentId.length > 128)
  ) {
    problems.push('paymentId must be 1-128 characters');
  }
  if (problems.length) throw DomainError.validation(problems.join('; '), { problems });
}
