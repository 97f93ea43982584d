import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/core';
import { WalletService } from '@app/payment';
import { TccConflictError, TccCoordinator } from '@app/tcc';
import { CheckoutTransaction } from '../../checkout-transaction';
import type { OrderDto } from '../../dto/order.dto';
import { orderNotFound, orderStateConflict } from '../../order-errors';
import { OrderPaymentLock } from '../../order-payment-lock';
import { toOrderDto } from '../../order.mapper';
import { countOrderOutcome } from '../../order.metrics';
import { OrderRepository } from '../../order.repository';
import type { OrderView } from '../../order.types';

/** Branch key of the wallet payment: one per checkout tx, retried in place after a 402. */
export const WALLET_BRANCH_KEY = 'wallet';

/**
 * Pay a pending order from the wallet: add the `payment` branch (freeze the balance) and
 * commit the checkout tx (order PAID, stock committed, coupon USED, balance captured).
 * 402 INSUFFICIENT_BALANCE leaves the order payable; paying a PAID order again answers 200.
 */
@Injectable()
export class PayOrderUseCase {
  constructor(
    private readonly orders: OrderRepository,
    private readonly lock: OrderPaymentLock,
    private readonly checkout: CheckoutTransaction,
    private readonly coordinator: TccCoordinator,
    private readonly wallets: WalletService,
  ) {}

  async execute(userId: string, orderId: string): Promise<OrderDto> {
    const order = await this.orders.findOwn(userId, orderId);
    if (!order) throw orderNotFound(orderId);
    if (order.status === 'PAID') return toOrderDto(order);
    if (order.status !== 'PENDING_PAYMENT') throw orderStateConflict(order, 'pay');
    if (order.expiresAt.getTime() <= Date.now()) throw orderStateConflict(await this.checkout.expireIfOverdue(order), 'pay');

    const outcome = await this.lock.withLock(orderId, () => this.payHoldingLock(order));
    // A commit whose second phase is still finishing (or left to recovery) shows PAID a moment later.
    const after = outcome.locked ? await this.checkout.settled(orderId) : outcome.order;
    if (after.status === 'PAID' || (outcome.locked && after.status === 'PENDING_PAYMENT')) return toOrderDto(after);
    throw orderStateConflict(after, 'pay');
  }

  private async payHoldingLock(order: OrderView): Promise<void> {
    const tx = await this.coordinator.findTransaction(order.txId);
    // Decided already: a commit (whose second phase may still be running) has the money, so
    // there is nothing to charge (and no 402 to give); a rollback means the order is gone.
    if (tx?.status === 'CONFIRMING' || tx?.status === 'CONFIRMED') return;
    if (tx?.status === 'CANCELLING' || tx?.status === 'CANCELLED') {
      throw orderStateConflict(await this.settledAfterLostRace(order.orderId), 'pay');
    }
    const branches = (tx?.branches ?? []).filter((b) => b.participant === 'payment');
    // A payment tried earlier (e.g. its caller crashed before the commit) completes the order: never charge twice.
    if (!branches.some((b) => b.status === 'TRIED')) await this.freezeWallet(order);
    if (!(await this.checkout.commit(order.txId))) {
      const now = await this.settledAfterLostRace(order.orderId);
      if (now.status !== 'PAID') throw orderStateConflict(now, 'pay');
    }
  }

  private async freezeWallet(order: OrderView): Promise<void> {
    // Checked first so the usual 402 costs no branch and no transaction work (the try still decides under a race).
    const wallet = await this.wallets.getWallet(order.userId);
    if (wallet.balanceCents < order.payableCents) {
      countOrderOutcome('payment_refused', ErrorCode.INSUFFICIENT_BALANCE);
      throw new DomainError(ErrorCode.INSUFFICIENT_BALANCE, 'Wallet balance is too low for this payment', {
        amountCents: order.payableCents,
        balanceCents: wallet.balanceCents,
      });
    }
    try {
      await this.coordinator.tryBranch(
        order.txId,
        'payment',
        { kind: 'wallet', userId: order.userId, orderId: order.orderId, amountCents: order.payableCents },
        { key: WALLET_BRANCH_KEY },
      );
    } catch (err) {
      if (err instanceof TccConflictError) throw orderStateConflict(await this.settledAfterLostRace(order.orderId), 'pay');
      if (err instanceof DomainError) countOrderOutcome('payment_refused', err.code);
      throw err;
    }
  }

  /** Where the order ends after our compare-and-set lost (to a cancel, the expiry, or a blocked commit). */
  private async settledAfterLostRace(orderId: string): Promise<OrderView> {
    return this.checkout.settled((await this.checkout.expireIfOverdue(await this.checkout.reread(orderId))).orderId);
  }
}
