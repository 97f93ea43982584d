import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, ErrorCode, newId } from '@app/core';
import { addToSumOrApply, afterLocalCommit, type BranchContext, type TccParticipantHandler } from '@app/tcc';
import { payments } from '../payment.metrics';
import { PaymentRepository } from '../repositories/payment.repository';
import { walletCreditSum, WalletRepository } from '../repositories/wallet.repository';
import { RefundPaymentPayload } from './payment-branch.payload';

/**
 * Refund of a paid order: the captured payment (wallet or gateway) becomes REFUNDED and its
 * amount goes back to the user's wallet. The try only checks there is something to refund,
 * so a refund of an order whose payment is not captured yet is refused instead of lost.
 */
@Injectable()
export class RefundPaymentBranch implements TccParticipantHandler<RefundPaymentPayload> {
  private readonly logger = new Logger(RefundPaymentBranch.name);

  constructor(
    private readonly wallets: WalletRepository,
    private readonly paymentRows: PaymentRepository,
  ) {}

  async try(em: EntityManager, ctx: BranchContext, p: RefundPaymentPayload): Promise<void> {
    const captured = await this.paymentRows.findCapturedOfOrder(em, p.orderId);
    if (!captured && p.amountCents > 0) {
      throw new DomainError(ErrorCode.ORDER_STATE_CONFLICT, `Order ${p.orderId} has no captured payment to refund`, {
        orderId: p.orderId,
      });
    }
  }

  async confirm(em: EntityManager, ctx: BranchContext, p: RefundPaymentPayload): Promise<void> {
    const captured = await this.paymentRows.findCapturedOfOrder(em, p.orderId);
    if (!captured || !(await this.paymentRows.transition(em, captured.paymentId, 'CAPTURED', 'REFUNDED', ctx.txId))) {
      this.logger.warn({ txId: ctx.txId, orderId: p.orderId }, 'refund confirm found no captured payment');
      return;
    }
    if (captured.amountCents !== p.amountCents) {
      this.logger.warn(
        { txId: ctx.txId, orderId: p.orderId, captured: captured.amountCents, asked: p.amountCents },
        'refunding the captured amount',
      );
    }
    // The captured amount goes back: a refund never creates or loses money.
    await this.paymentRows.insertRefund(em, {
      refundId: newId(),
      paymentId: captured.paymentId,
      orderId: captured.orderId,
      userId: captured.userId,
      amountCents: captured.amountCents,
      reason: 'ORDER_REFUND',
      txId: ctx.txId,
    });
    // Deferred to the end of the local transaction: the wallet row's lock is held for its upsert and the COMMIT only.
    if (captured.amountCents > 0) {
      await addToSumOrApply(em, ctx.local, walletCreditSum(captured.userId), captured.amountCents, (tx, total) =>
        this.wallets.addToBalance(tx, captured.userId, total),
      );
    }
    await afterLocalCommit(em, ctx.local, () => payments.inc({ method: captured.method, outcome: 'refunded' }));
  }

  async cancel(): Promise<void> {
    // The try held nothing.
  }
}
