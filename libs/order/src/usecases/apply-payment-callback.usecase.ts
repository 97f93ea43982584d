import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/core';
import { PAYMENT_PARTICIPANT, PaymentService, PaymentView } from '@app/payment';
import { branchIdOf, isCommitDecided, isRollbackDecided, TccConflictError, TccCoordinator } from '@app/tcc';
import type { PaymentCallbackDto, PaymentCallbackResultDto } from '../dto/payment-callback.dto';
import { orderNotFound } from '../order.errors';
import { countOrderOutcome } from '../order.metrics';
import type { OrderView } from '../order.types';
import { OrderRepository } from '../repositories/order.repository';
import { CheckoutTransaction } from './checkout-transaction';
import { OrderPaymentLock } from './order-payment-lock';

/** Branch key of a gateway payment: one branch per paymentId. */
export const externalBranchKey = (paymentId: string) => `ext-${paymentId}`;

/**
 * The gateway's (already signature-checked) notification. Idempotent per paymentId: a replay
 * answers what the first one did. SUCCEEDED on a payable order adds the `payment` branch
 * (kind external) and commits → CAPTURED; on an order that is no longer payable the money is
 * recorded and refunded to the wallet → REFUNDED, the order keeps its status. FAILED changes
 * nothing.
 */
@Injectable()
export class ApplyPaymentCallbackUseCase {
  private readonly logger = new Logger(ApplyPaymentCallbackUseCase.name);

  constructor(
    private readonly orders: OrderRepository,
    private readonly payments: PaymentService,
    private readonly lock: OrderPaymentLock,
    private readonly checkout: CheckoutTransaction,
    private readonly coordinator: TccCoordinator,
  ) {}

  async execute(dto: PaymentCallbackDto): Promise<PaymentCallbackResultDto> {
    const order = await this.orders.findById(dto.orderId);
    if (!order) throw orderNotFound(dto.orderId);
    if (dto.amountCents !== order.payableCents) {
      throw DomainError.conflict('amountCents does not match the order', {
        orderId: order.orderId,
        expectedCents: order.payableCents,
        amountCents: dto.amountCents,
      });
    }
    const known = await this.answerFromPayment(await this.payments.findPayment(dto.paymentId), order);
    if (known) return known;
    if (dto.status === 'FAILED') return result(order, 'FAILED');

    if (order.status === 'PENDING_PAYMENT' && order.expiresAt.getTime() > Date.now()) {
      const outcome = await this.lock.withLock(order.orderId, () => this.captureHoldingLock(order, dto.paymentId));
      if (outcome.locked && outcome.value) return outcome.value;
    }
    return this.refundLatePayment(dto, order.orderId);
  }

  /** Under the order's payment lock: add our branch and commit, or null when the order cannot take it. */
  private async captureHoldingLock(order: OrderView, paymentId: string): Promise<PaymentCallbackResultDto | null> {
    const known = await this.answerFromPayment(await this.payments.findPayment(paymentId), order);
    if (known) return known;
    const ours = branchIdOf(order.txId, PAYMENT_PARTICIPANT, externalBranchKey(paymentId));
    const others = (await this.checkout.paymentBranches(order.txId)).filter((b) => b.branchId !== ours);
    // Another payment (e.g. a wallet pay whose caller died after its try) already holds the
    // order: it pays the order, and this money goes back.
    if (others.some((b) => b.status === 'TRIED' || b.status === 'TRYING')) {
      if (others.some((b) => b.status === 'TRIED')) await this.checkout.commit(order.txId);
      return null;
    }
    try {
      await this.coordinator.tryBranch(
        order.txId,
        PAYMENT_PARTICIPANT,
        { kind: 'external', paymentId, userId: order.userId, orderId: order.orderId, amountCents: order.payableCents },
        { key: externalBranchKey(paymentId) },
      );
    } catch (err) {
      if (
        err instanceof TccConflictError ||
        (err instanceof DomainError && err.code === ErrorCode.ORDER_STATE_CONFLICT)
      )
        return null;
      throw err;
    }
    // Lost to a rollback: the payment participant's cancel refunded our branch; answered below.
    if (!(await this.checkout.commit(order.txId))) return null;
    return result(await this.checkout.settled(order.orderId), 'CAPTURED');
  }

  private async refundLatePayment(dto: PaymentCallbackDto, orderId: string): Promise<PaymentCallbackResultDto> {
    const order = await this.checkout.expireIfOverdue(await this.checkout.reread(orderId));
    const payment = await this.payments.recordLatePayment(dto.paymentId, order.orderId, order.userId, dto.amountCents);
    const answer = await this.answerFromPayment(payment, order);
    if (!answer) {
      // Our branch is tried in a transaction that is neither committing nor rolling back yet.
      throw DomainError.conflict('This payment is still being applied; retry later', { paymentId: dto.paymentId });
    }
    if (answer.paymentStatus === 'REFUNDED') {
      countOrderOutcome('late_payment_refunded');
      this.logger.warn(
        { orderId: order.orderId, paymentId: dto.paymentId, orderStatus: answer.orderStatus },
        'late payment refunded',
      );
    }
    return answer;
  }

  /**
   * The answer an earlier delivery of this paymentId already decided, if any: CAPTURED or
   * REFUNDED as recorded, or, for a payment whose branch is tried (PENDING), what its
   * transaction decided (commit → CAPTURED, rollback → the payment participant refunds it).
   */
  private async answerFromPayment(
    payment: PaymentView | null,
    order: OrderView,
  ): Promise<PaymentCallbackResultDto | null> {
    if (!payment) return null;
    if (payment.orderId !== order.orderId || payment.method !== 'EXTERNAL') {
      throw DomainError.conflict(`Payment ${payment.paymentId} belongs to another order`, {
        paymentId: payment.paymentId,
      });
    }
    let decided: 'CAPTURED' | 'REFUNDED' | null = null;
    if (payment.status === 'CAPTURED' || payment.status === 'REFUNDED') decided = payment.status;
    else if (payment.status === 'PENDING' && payment.txId) {
      const tx = await this.coordinator.findTransaction(payment.txId);
      if (isCommitDecided(tx?.status)) decided = 'CAPTURED';
      if (isRollbackDecided(tx?.status)) decided = 'REFUNDED';
    }
    if (!decided) return null;
    // A commit or rollback may still be finishing: answer with the order's final status.
    return result(await this.checkout.settled(order.orderId), decided);
  }
}

function result(order: OrderView, paymentStatus: PaymentCallbackResultDto['paymentStatus']): PaymentCallbackResultDto {
  return { orderId: order.orderId, orderStatus: order.status, paymentStatus };
}
