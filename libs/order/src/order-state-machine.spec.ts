import { canTransition, isTerminal, ORDER_STATUSES, OrderStatus, statusAfterRollback } from './order-state-machine';

describe('order state machine', () => {
  const legal: Array<[OrderStatus, OrderStatus]> = [
    ['PENDING_PAYMENT', 'PAID'],
    ['PENDING_PAYMENT', 'CANCELLED'],
    ['PENDING_PAYMENT', 'EXPIRED'],
    ['PAID', 'REFUNDED'],
  ];

  it('allows exactly the documented transitions', () => {
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        const expected = legal.some(([f, t]) => f === from && t === to);
        expect({ from, to, allowed: canTransition(from, to) }).toEqual({ from, to, allowed: expected });
      }
    }
  });

  it('never lets a paid order be cancelled or expired (only refunded)', () => {
    expect(canTransition('PAID', 'CANCELLED')).toBe(false);
    expect(canTransition('PAID', 'EXPIRED')).toBe(false);
  });

  it('treats cancelled, expired and refunded as terminal', () => {
    expect(ORDER_STATUSES.filter(isTerminal)).toEqual(['CANCELLED', 'EXPIRED', 'REFUNDED']);
  });

  it('maps a rollback reason to the final status', () => {
    expect(statusAfterRollback('EXPIRED')).toBe('EXPIRED');
    expect(statusAfterRollback('USER')).toBe('CANCELLED');
    expect(statusAfterRollback('OPERATOR')).toBe('CANCELLED');
    expect(statusAfterRollback('TRY_FAILED')).toBe('CANCELLED');
    expect(statusAfterRollback(undefined)).toBe('CANCELLED');
  });
});
