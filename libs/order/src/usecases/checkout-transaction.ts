import { Injectable, Logger } from '@nestjs/common';
import { sleep } from '@app/core';
import { PAYMENT_PARTICIPANT } from '@app/payment';
import { BranchView, isCommitDecided, TccConflictError, TccCoordinator } from '@app/tcc';
import { orderNotFound } from '../order.errors';
import type { OrderView } from '../order.types';
import { OrderRepository } from '../repositories/order.repository';

/** What pay, callback and cancel do with an order's `checkout` transaction. */
@Injectable()
export class CheckoutTransaction {
  private readonly logger = new Logger(CheckoutTransaction.name);

  constructor(
    private readonly coordinator: TccCoordinator,
    private readonly orders: OrderRepository,
  ) {}

  /** The payment branches added so far (wallet `…:payment:wallet`, gateway `…:payment:ext-<paymentId>`). */
  async paymentBranches(txId: string): Promise<BranchView[]> {
    const tx = await this.coordinator.findTransaction(txId);
    return (tx?.branches ?? []).filter((b) => b.participant === PAYMENT_PARTICIPANT);
  }

  /** Commit; false when the tx went another way (cancelled, expired) or cannot commit. */
  async commit(txId: string): Promise<boolean> {
    try {
      const outcome = await this.coordinator.commit(txId);
      return isCommitDecided(outcome.status);
    } catch (err) {
      if (err instanceof TccConflictError) return false;
      throw err;
    }
  }

  /**
   * A pending order past its deadline is rolled back now (reason EXPIRED), as the recovery
   * job would on its next round, so the caller can answer with the final status.
   */
  async expireIfOverdue(order: OrderView): Promise<OrderView> {
    if (order.status !== 'PENDING_PAYMENT' || order.expiresAt.getTime() > Date.now()) return order;
    try {
      await this.coordinator.rollback(order.txId, 'EXPIRED', { atOnce: true });
    } catch (err) {
      if (!(err instanceof TccConflictError))
        this.logger.warn({ txId: order.txId, err }, 'expiring an overdue order failed');
    }
    return this.reread(order.orderId);
  }

  /**
   * The order once it left PENDING_PAYMENT: after a lost race the winner (a commit, a
   * rollback) may still be finishing its branches. Gives up after `waitMs` with what it sees.
   */
  async settled(orderId: string, waitMs = 3_000): Promise<OrderView> {
    const giveUpAt = Date.now() + waitMs;
    for (;;) {
      const order = await this.reread(orderId);
      if (order.status !== 'PENDING_PAYMENT' || Date.now() >= giveUpAt) return order;
      await sleep(25);
    }
  }

  async reread(orderId: string): Promise<OrderView> {
    const order = await this.orders.findById(orderId);
    if (!order) throw orderNotFound(orderId);
    return order;
  }
}
