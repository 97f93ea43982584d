import { Injectable, Logger } from '@nestjs/common';
import { DomainError, newId, sleep } from '@app/core';
import { COUPON_PARTICIPANT } from '@app/coupon';
import { INVENTORY_PARTICIPANT } from '@app/inventory';
import { PAYMENT_PARTICIPANT } from '@app/payment';
import { TccConflictError, TccCoordinator } from '@app/tcc';
import { ORDER_PARTICIPANT } from '../branches/order.participant';
import { orderStateConflict } from '../order.errors';
import type { OrderBranchPayload, OrderView } from '../order.types';
import { OrderRepository } from '../repositories/order.repository';
import { CheckoutTransaction } from './checkout-transaction';

/** A refund completes in milliseconds; the deadline only bounds a refund whose caller crashed. */
const REFUND_TIMEOUT_MS = 60_000;
/** A claim whose tx was never begun is taken over after this long (its caller crashed). */
const ABANDONED_CLAIM_MS = 30_000;
const WAIT_MS = 5_000;

/**
 * Refund of a PAID order: a `refund` TCC transaction with branches order (→ REFUNDED),
 * inventory (RESTOCK), payment (money back to the wallet) and coupon (back to the user).
 * The order row's refund_tx_id is claimed by compare-and-set first, so concurrent cancels
 * start one refund; the losers wait for it.
 */
@Injectable()
export class RefundOrderUseCase {
  private readonly logger = new Logger(RefundOrderUseCase.name);

  constructor(
    private readonly orders: OrderRepository,
    private readonly coordinator: TccCoordinator,
    private readonly checkout: CheckoutTransaction,
  ) {}

  async execute(order: OrderView): Promise<OrderView> {
    const giveUpAt = Date.now() + WAIT_MS;
    for (let current = order; ; current = await this.checkout.reread(order.orderId)) {
      if (current.status === 'REFUNDED') return current;
      if (current.status !== 'PAID') throw orderStateConflict(current, 'refund');
      const txId = await this.claim(current);
      if (txId) {
        await this.runRefund(current, txId);
        const after = await this.checkout.reread(order.orderId);
        if (after.status !== 'REFUNDED')
          throw DomainError.conflict('The refund did not complete; retry', { orderId: order.orderId });
        return after;
      }
      if (Date.now() >= giveUpAt)
        throw DomainError.conflict('A refund of this order is in progress; retry later', { orderId: order.orderId });
      await sleep(25);
    }
  }

  /** The refund tx id this caller may begin, or null when another refund is under way. */
  private async claim(order: OrderView): Promise<string | null> {
    const txId = newId();
    if (order.refundTxId === null) return (await this.orders.claimRefund(order.orderId, null, txId)) ? txId : null;
    const previous = await this.coordinator.findTransaction(order.refundTxId);
    const abandoned =
      previous?.status === 'CANCELLED' || (!previous && Date.now() - order.updatedAt.getTime() > ABANDONED_CLAIM_MS);
    if (!abandoned) return null;
    this.logger.warn({ orderId: order.orderId, previous: order.refundTxId }, 'taking over an abandoned refund');
    return (await this.orders.claimRefund(order.orderId, order.refundTxId, txId)) ? txId : null;
  }

  private async runRefund(order: OrderView, txId: string): Promise<void> {
    await this.coordinator.begin({ name: 'refund', txId, timeoutMs: REFUND_TIMEOUT_MS });
    try {
      const orderPayload: OrderBranchPayload = { kind: 'refund', orderId: order.orderId };
      await this.coordinator.tryBranch(txId, ORDER_PARTICIPANT, orderPayload);
      await this.coordinator.tryBranch(txId, INVENTORY_PARTICIPANT, {
        kind: 'restock',
        warehouse: order.warehouse,
        lines: order.items.map(({ sku, qty }) => ({ sku, qty })),
        ref: order.orderId,
      });
      await this.coordinator.tryBranch(txId, PAYMENT_PARTICIPANT, {
        kind: 'refund',
        userId: order.userId,
        orderId: order.orderId,
        amountCents: order.payableCents,
      });
      if (order.couponCode) {
        await this.coordinator.tryBranch(txId, COUPON_PARTICIPANT, {
          kind: 'return',
          userId: order.userId,
          code: order.couponCode,
        });
      }
    } catch (err) {
      await this.coordinator
        .rollback(txId, 'TRY_FAILED')
        .catch((e: unknown) => this.logger.warn({ txId, err: e }, 'refund rollback incomplete'));
      throw err instanceof TccConflictError
        ? orderStateConflict(await this.checkout.reread(order.orderId), 'refund')
        : err;
    }
    try {
      await this.coordinator.commit(txId);
    } catch (err) {
      if (!(err instanceof TccConflictError)) throw err;
      this.logger.warn(
        { txId, orderId: order.orderId },
        'refund commit lost (the refund expired); a later cancel retries it',
      );
    }
  }
}
