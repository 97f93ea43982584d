import { counter } from '@app/core';

/**
 * Payments by method (WALLET, EXTERNAL) and outcome: frozen, insufficient_balance, pending,
 * duplicate, refused_second_payment, captured, released, refunded, late_refunded.
 */
export const payments = counter({
  name: 'payments_total',
  help: 'Payment steps by method and outcome',
  labelNames: ['method', 'outcome'] as const,
});

export const walletCredits = counter({
  name: 'wallet_credits_total',
  help: 'Wallet top-ups by outcome (applied, replayed; retried: the wallet moved between its read and its write, the top-up ran again)',
  labelNames: ['outcome'] as const,
});
