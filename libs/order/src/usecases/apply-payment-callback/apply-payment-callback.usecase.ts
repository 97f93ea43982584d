import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '@app/core';
import { PaymentService, PaymentView } from '@app/payment';
import { branchIdOf, TccConflictError, TccCoordinator } from '@app/tcc';
import { CheckoutTransaction } from '../../checkout-transaction';
import type { PaymentCallbackDto, PaymentCallbackResultDto } from '../../dto/payment-callback.dto';
import { orderNotFound } from '../../order-errors';
import { OrderPaymentLock } from '../../order-payment-lock';
import { countOrderOutcome } from '../../order.metrics';
import { OrderRepository } from '../../order.repository';
import type { OrderView } from '../../order.types';

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
  private readonly logger = new Logger('PaymentCallback');

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
    const replay = this.replayOf(await this.payments.findPayment(dto.paymentId), order);
    if (replay) return replay;
    if (dto.status === 'FAILED') return result(order, 'FAILED');

    if (order.status === 'PENDING_PAYMENT' && order.expiresAt.getTime() > Date.now()) {
      const outcome = await this.lock.withLock(order.orderId, () => this.captureHoldingLock(order, dto.paymentId));
      if (outcome.locked && outcome.value) return outcome.value;
    }
    return this.refundLatePayment(dto, order.orderId);
  }

  /** Under the order's payment lock: add our branch and commit, or null when the order cannot take it. */
  private async captureHoldingLock(order: OrderView, paymentId: string): Promise<PaymentCallbackResultDto | null> {
    const replay = this.replayOf(await this.payments.findPayment(paymentId), order);
    if (replay) return replay;
    const ours = branchIdOf(order.txId, 'payment', externalBranchKey(paymentId));
    const others = (await this.checkout.paymentBranches(order.txId)).filter((b) => b.branchId !== ours);
    // Another payment (e.g. a wallet pay whose caller crashed) is already tried or unresolved: it
    // pays the order if anything does, and this money goes back.
    if (others.some((b) => b.status !== 'CANCELLED')) {
      if (others.some((b) => b.status === 'TRIED')) await this.checkout.commit(order.txId);
      return null;
    }
    try {
      await this.coordinator.tryBranch(
        order.txId,
        'payment',
        { kind: 'external', paymentId, userId: order.userId, orderId: order.orderId, amountCents: order.payableCents },
        { key: externalBranchKey(paymentId) },
      );
    } catch (err) {
      if (err instanceof TccConflictError) return null;
      throw err;
    }
    if (!(await this.checkout.commit(order.txId))) return null; // rolled back meanwhile: our branch is FAILED, refunded below
    const after = await this.checkout.reread(order.orderId);
    return result(after, 'CAPTURED');
  }

  private async refundLatePayment(dto: PaymentCallbackDto, orderId: string): Promise<PaymentCallbackResultDto> {
    const order = await this.checkout.expireIfOverdue(await this.checkout.reread(orderId));
    const payment = await this.payments.recordLatePayment(dto.paymentId, order.orderId, order.userId, dto.amountCents);
    const replay = this.replayOf(payment, order);
    if (replay?.paymentStatus === 'REFUNDED') {
      countOrderOutcome('late_payment_refunded');
      this.logger.warn({ orderId: order.orderId, paymentId: dto.paymentId, orderStatus: order.status }, 'late payment refunded');
    }
    return replay ?? result(order, 'REFUNDED');
  }

  /** The answer an earlier callback of this paymentId already settled, if any. */
  private replayOf(payment: PaymentView | null, order: OrderView): PaymentCallbackResultDto | null {
    if (!payment) return null;
    if (payment.orderId !== order.orderId || payment.method !== 'EXTERNAL') {
      throw DomainError.conflict(`Payment ${payment.paymentId} belongs to another order`, { paymentId: payment.paymentId });
    }
    if (payment.status === 'CAPTURED') return result(order, 'CAPTURED');
    if (payment.status === 'REFUNDED') return result(order, 'REFUNDED');
    return null; // PENDING (an attempt in flight or crashed) or FAILED (rolled back): settle it now
  }
}

function result(order: OrderView, paymentStatus: PaymentCallbackResultDto['paymentStatus']): PaymentCallbackResultDto {
  return { orderId: order.orderId, orderStatus: order.status, paymentStatus };
}
