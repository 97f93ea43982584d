import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/core';
import { PAYMENT_PARTICIPANT } from '@app/payment';
import { BranchSpec, TccConflictError, TccCoordinator } from '@app/tcc';
import type { OrderDto } from '../dto/order.dto';
import { orderNotFound, orderStateConflict } from '../order.errors';
import { toOrderDto } from '../order.mapper';
import { countOrderOutcome } from '../order.metrics';
import type { OrderView } from '../order.types';
import { OrderRepository } from '../repositories/order.repository';
import { CheckoutTransaction } from './checkout-transaction';
import { stockBatchKey } from './place-order/place-order.usecase';

/** Branch key of the wallet payment: one per checkout tx, retried in place after a 402. */
export const WALLET_BRANCH_KEY = 'wallet';

/**
 * Pay a pending order from the wallet: commit the checkout tx with the `payment` branch
 * (freeze the balance) tried in the same local transaction as the decision and every confirm
 * (order PAID, stock committed, coupon USED, balance captured), group-committed with other
 * payments of the same stock rows. That transaction's compare-and-set on the tx row is the
 * payment lock: of concurrent pays, cancels and the expiry exactly one decides.
 * 402 INSUFFICIENT_BALANCE leaves the order payable; paying a PAID order again answers 200.
 */
@Injectable()
export class PayOrderUseCase {
  constructor(
    private readonly orders: OrderRepository,
    private readonly checkout: CheckoutTransaction,
    private readonly coordinator: TccCoordinator,
  ) {}

  async execute(userId: string, orderId: string): Promise<OrderDto> {
    const order = await this.orders.findOwn(userId, orderId);
    if (!order) throw orderNotFound(orderId);
    if (order.status === 'PAID') return toOrderDto(order);
    if (order.status !== 'PENDING_PAYMENT') throw orderStateConflict(order, 'pay');
    if (order.expiresAt.getTime() <= Date.now())
      throw orderStateConflict(await this.checkout.expireIfOverdue(order), 'pay');

    const status = await this.commitWithWallet(order);
    if (status === 'CONFIRMED') return toOrderDto({ ...order, status: 'PAID', updatedAt: new Date() });
    // Decided, but its second phase is still finishing (or left to recovery): PAID a moment later.
    const after = await this.checkout.settled(orderId);
    if (after.status === 'PAID' || after.status === 'PENDING_PAYMENT') return toOrderDto(after);
    throw orderStateConflict(after, 'pay');
  }

  private async commitWithWallet(order: OrderView): Promise<string> {
    const batchKey = stockBatchKey(order.warehouse, order.items);
    try {
      return (await this.coordinator.commit(order.txId, { atOnce: true, last: walletBranch(order), batchKey })).status;
    } catch (err) {
      // Another payment (a gateway callback) holds the order: it pays it; commit without ours.
      if (err instanceof DomainError && err.code === ErrorCode.ORDER_STATE_CONFLICT) {
        return this.commitWithoutWallet(order, batchKey);
      }
      if (err instanceof TccConflictError)
        throw orderStateConflict(await this.settledAfterLostRace(order.orderId), 'pay');
      if (err instanceof DomainError) countOrderOutcome('payment_refused', err.code);
      throw err;
    }
  }

  private async commitWithoutWallet(order: OrderView, batchKey: string): Promise<string> {
    try {
      return (await this.coordinator.commit(order.txId, { atOnce: true, batchKey })).status;
    } catch (err) {
      if (err instanceof TccConflictError)
        throw orderStateConflict(await this.settledAfterLostRace(order.orderId), 'pay');
      throw err;
    }
  }

  /** Where the order ends after our compare-and-set lost (to a cancel, the expiry, or a blocked commit). */
  private async settledAfterLostRace(orderId: string): Promise<OrderView> {
    return this.checkout.settled((await this.checkout.expireIfOverdue(await this.checkout.reread(orderId))).orderId);
  }
}

function walletBranch(order: OrderView): BranchSpec {
  return {
    participant: PAYMENT_PARTICIPANT,
    key: WALLET_BRANCH_KEY,
    payload: { kind: 'wallet', userId: order.userId, orderId: order.orderId, amountCents: order.payableCents },
  };
}
