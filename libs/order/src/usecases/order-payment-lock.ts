import { Injectable } from '@nestjs/common';
import { DomainError, newId, sleep } from '@app/core';
import type { OrderView } from '../order.types';
import { OrderRepository } from '../repositories/order.repository';

const LEASE_SEC = 30;
const WAIT_MS = 5_000;
const POLL_MS = 25;

export type LockedOutcome<T> = { locked: true; value: T } | { locked: false; order: OrderView };

/**
 * One payment attempt per order at a time (wallet pay or gateway callback). Without it a
 * wallet branch and a gateway branch could both be tried, and the commit would confirm
 * (charge) both. The lock is a lease on the order row, so a crashed attempt frees it by
 * itself; a waiting attempt gives up after a few seconds with 409 CONFLICT.
 */
@Injectable()
export class OrderPaymentLock {
  constructor(private readonly orders: OrderRepository) {}

  /**
   * Runs `work` holding the lock. If the order stops being PENDING_PAYMENT while waiting,
   * `work` does not run and the order as it is now is returned instead.
   */
  async withLock<T>(orderId: string, work: () => Promise<T>): Promise<LockedOutcome<T>> {
    const token = newId();
    const giveUpAt = Date.now() + WAIT_MS;
    for (;;) {
      if (await this.orders.claimPaymentLock(orderId, token, LEASE_SEC)) break;
      const order = await this.orders.findById(orderId);
      if (!order) throw DomainError.notFound(`Order ${orderId}`, { orderId });
      if (order.status !== 'PENDING_PAYMENT') return { locked: false, order };
      if (Date.now() >= giveUpAt) {
        throw DomainError.conflict('Another payment of this order is in progress; retry later', { orderId });
      }
      await sleep(POLL_MS);
    }
    try {
      return { locked: true, value: await work() };
    } finally {
      await this.orders.releasePaymentLock(orderId, token).catch(() => undefined);
    }
  }
}
