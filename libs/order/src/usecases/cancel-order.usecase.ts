import { Injectable, Logger } from '@nestjs/common';
import { isRollbackDecided, TccConflictError, TccCoordinator } from '@app/tcc';
import type { OrderDto } from '../dto/order.dto';
import { orderNotFound, orderStateConflict } from '../order.errors';
import { toOrderDto } from '../order.mapper';
import type { OrderView } from '../order.types';
import { OrderRepository } from '../repositories/order.repository';
import { CheckoutTransaction } from './checkout-transaction';
import { RefundOrderUseCase } from './refund-order.usecase';

/**
 * Cancel: a pending order is rolled back (→ CANCELLED: stock, coupon and any frozen balance
 * released); a paid one is refunded (→ REFUNDED). Repeating a cancel answers 200; losing
 * the race to a pay (or to the expiry) answers 409 ORDER_STATE_CONFLICT.
 */
@Injectable()
export class CancelOrderUseCase {
  private readonly logger = new Logger(CancelOrderUseCase.name);

  constructor(
    private readonly orders: OrderRepository,
    private readonly coordinator: TccCoordinator,
    private readonly checkout: CheckoutTransaction,
    private readonly refund: RefundOrderUseCase,
  ) {}

  async execute(userId: string, orderId: string, note?: string): Promise<OrderDto> {
    const found = await this.orders.findOwn(userId, orderId);
    if (!found) throw orderNotFound(orderId);
    // Past its deadline a pending order is decided already: it expires (as the recovery job would).
    const order = await this.checkout.expireIfOverdue(found);
    switch (order.status) {
      case 'CANCELLED':
      case 'REFUNDED':
        return toOrderDto(order);
      case 'EXPIRED':
        throw orderStateConflict(order, 'cancel');
      case 'PAID':
        return toOrderDto(await this.refund.execute(order));
      case 'PENDING_PAYMENT':
        if (note) this.logger.log({ orderId, note }, 'order cancelled by its user');
        return toOrderDto(await this.cancelPending(order));
    }
  }

  private async cancelPending(order: OrderView): Promise<OrderView> {
    try {
      await this.coordinator.rollback(order.txId, 'USER', { atOnce: true });
    } catch (err) {
      // Lost to a commit (pay) or an expiry: the order ends PAID or EXPIRED.
      if (!(err instanceof TccConflictError)) throw err;
    }
    const after = await this.checkout.settled(order.orderId);
    if (after.status === 'CANCELLED') return after;
    // A cancel (ours or an earlier one) won, but its second phase is still running (or left to
    // the recovery job): the cancel is accepted and the order ends CANCELLED. Not a conflict.
    if (after.status === 'PENDING_PAYMENT' && (await this.cancelIsDecided(order.txId))) return after;
    throw orderStateConflict(after, 'cancel');
  }

  private async cancelIsDecided(txId: string): Promise<boolean> {
    const tx = await this.coordinator.findTransaction(txId);
    return isRollbackDecided(tx?.status) && tx?.cancelReason !== 'EXPIRED';
  }
}
