import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig, DomainError, inTransaction, newId, USER_ID_PATTERN } from '@app/core';
import { PaymentEntity, PaymentMethod, PaymentStatus } from '../entities/payment.entity';
import { payments } from '../payment.metrics';
import { PaymentRepository } from '../repositories/payment.repository';
import { WalletRepository } from '../repositories/wallet.repository';
import { checkWebhookSignature, WebhookSignatureCheck } from '../webhook-signature';

/** What other modules see of a payment. */
export interface PaymentView {
  paymentId: string;
  orderId: string;
  userId: string;
  method: PaymentMethod;
  amountCents: number;
  status: PaymentStatus;
  txId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

@Injectable()
export class PaymentService {
  private readonly logger = new Logger(PaymentService.name);

  constructor(
    private readonly paymentRows: PaymentRepository,
    private readonly wallets: WalletRepository,
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with
   * PAYMENT_WEBHOOK_SECRET (constant-time compare), t within PAYMENT_WEBHOOK_TOLERANCE_SEC of our clock.
   */
  checkWebhookSignature(rawBody: Buffer, header?: string): WebhookSignatureCheck {
    const { webhookSecret: secret, webhookToleranceSec: toleranceSec } = this.config.payment;
    return checkWebhookSignature({ secret, toleranceSec }, rawBody, header);
  }

  async findPayment(paymentId: string): Promise<PaymentView | null> {
    const payment = paymentId.length <= 128 ? await this.paymentRows.findPayment(paymentId) : null;
    return payment ? toView(payment) : null;
  }

  async findPaymentsOfOrder(orderId: string): Promise<PaymentView[]> {
    return (await this.paymentRows.findPaymentsOfOrder(orderId)).map(toView);
  }

  /**
   * A gateway success for an order that can no longer be paid (expired, cancelled, or paid
   * otherwise): the money arrived, so it is recorded as REFUNDED and credited to the user's
   * wallet, never lost. Idempotent per paymentId: a repeat returns the recorded payment.
   * A payment already recorded is returned as it is: CAPTURED (it paid the order), REFUNDED, or
   * PENDING (its branch is still being confirmed or cancelled; a cancel refunds it). A FAILED
   * EXTERNAL payment is refunded now. A paymentId recorded for another order, user or amount is
   * a 409 CONFLICT.
   */
  async recordLatePayment(
    paymentId: string,
    orderId: string,
    userId: string,
    amountCents: number,
  ): Promise<PaymentView> {
    if (!Number.isSafeInteger(amountCents) || amountCents < 0) {
      throw DomainError.validation('amountCents must be a non-negative integer', { amountCents });
    }
    if (!paymentId || paymentId.length > 128 || !orderId || orderId.length > 64 || !USER_ID_PATTERN.test(userId)) {
      throw DomainError.validation('paymentId (1-128), orderId (1-64) and userId must be valid', {
        paymentId,
        orderId,
      });
    }
    return inTransaction(this.dataSource, async (em, afterCommit) => {
      const insert = await this.paymentRows.insertPayment(em, {
        paymentId,
        orderId,
        userId,
        method: 'EXTERNAL',
        amountCents,
        status: 'REFUNDED',
        txId: null,
        branchId: null,
      });
      const recorded = insert === 'inserted';
      let refundNow = recorded;
      if (!recorded) {
        const existing = await this.paymentRows.findPayment(paymentId, em);
        if (!existing) throw new Error(`payment ${paymentId} neither inserted nor found`);
        if (existing.orderId !== orderId || existing.amountCents !== amountCents || existing.userId !== userId) {
          throw DomainError.conflict(`Payment ${paymentId} is recorded for another order or amount`, {
            paymentId,
            orderId: existing.orderId,
            amountCents: existing.amountCents,
          });
        }
        refundNow =
          existing.method === 'EXTERNAL' && existing.status === 'FAILED'
            ? await this.paymentRows.transition(em, paymentId, 'FAILED', 'REFUNDED')
            : false;
      }
      if (refundNow) {
        await this.paymentRows.insertRefund(em, {
          refundId: newId(),
          paymentId,
          orderId,
          userId,
          amountCents,
          reason: 'LATE_PAYMENT',
          txId: null,
        });
        afterCommit(() => payments.inc({ method: 'EXTERNAL', outcome: 'late_refunded' }));
        this.logger.warn({ paymentId, orderId, userId, amountCents }, 'late gateway payment refunded to the wallet');
      }
      const view = toView((await this.paymentRows.findPayment(paymentId, em))!);
      // the wallet row last: its lock is held for this statement and the COMMIT only
      if (refundNow && amountCents > 0) await this.wallets.addToBalance(em, userId, amountCents);
      return view;
    });
  }
}

export function toView(p: PaymentEntity): PaymentView {
  return {
    paymentId: p.paymentId,
    orderId: p.orderId,
    userId: p.userId,
    method: p.method,
    amountCents: p.amountCents,
    status: p.status,
    txId: p.txId,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}
