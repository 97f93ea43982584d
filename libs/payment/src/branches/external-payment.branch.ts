import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, ErrorCode, newId } from '@app/core';
import {
  addToSumOrApply,
  afterLocalCommit,
  countRefusal,
  type BranchContext,
  type TccParticipantHandler,
} from '@app/tcc';
import { payments } from '../payment.metrics';
import { PaymentRepository } from '../repositories/payment.repository';
import { walletCreditSum, WalletRepository } from '../repositories/wallet.repository';
import { ExternalPaymentPayload } from './payment-branch.payload';

/**
 * A payment the gateway reported as succeeded: recorded PENDING on try, CAPTURED on confirm.
 * On cancel (the order expired or was cancelled before the commit) the gateway still holds
 * the money, so it goes to the user's wallet right here (REFUNDED), in the same local
 * transaction: it cannot be lost even if no later callback or recordLatePayment comes.
 */
@Injectable()
export class ExternalPaymentBranch implements TccParticipantHandler<ExternalPaymentPayload> {
  private readonly logger = new Logger(ExternalPaymentBranch.name);

  constructor(
    private readonly paymentRows: PaymentRepository,
    private readonly wallets: WalletRepository,
  ) {}

  async try(em: EntityManager, ctx: BranchContext, p: ExternalPaymentPayload): Promise<void> {
    const recorded = await this.paymentRows.insertPayment(em, {
      paymentId: p.paymentId,
      orderId: p.orderId,
      userId: p.userId,
      method: 'EXTERNAL',
      amountCents: p.amountCents,
      status: 'PENDING',
      txId: ctx.txId,
      branchId: ctx.branchId,
    });
    if (recorded === 'duplicate') {
      countRefusal(ctx.local, () => payments.inc({ method: 'EXTERNAL', outcome: 'duplicate' }));
      throw DomainError.conflict(`Payment ${p.paymentId} is already recorded`, { paymentId: p.paymentId });
    }
    if (recorded === 'order_already_paying') {
      countRefusal(ctx.local, () => payments.inc({ method: 'EXTERNAL', outcome: 'refused_second_payment' }));
      throw new DomainError(ErrorCode.ORDER_STATE_CONFLICT, `Order ${p.orderId} already has a payment`, {
        orderId: p.orderId,
      });
    }
    await afterLocalCommit(em, ctx.local, () => payments.inc({ method: 'EXTERNAL', outcome: 'pending' }));
  }

  async confirm(em: EntityManager, ctx: BranchContext): Promise<void> {
    if (await this.paymentRows.transitionBranch(em, ctx.branchId, 'PENDING', 'CAPTURED')) {
      await afterLocalCommit(em, ctx.local, () => payments.inc({ method: 'EXTERNAL', outcome: 'captured' }));
    } else {
      this.logger.warn({ txId: ctx.txId, branchId: ctx.branchId }, 'external confirm found no PENDING payment');
    }
  }

  async cancel(em: EntityManager, ctx: BranchContext, p: ExternalPaymentPayload): Promise<void> {
    if (!(await this.paymentRows.transitionBranch(em, ctx.branchId, 'PENDING', 'REFUNDED'))) {
      this.logger.warn({ txId: ctx.txId, branchId: ctx.branchId }, 'external cancel found no PENDING payment');
      return;
    }
    await this.paymentRows.insertRefund(em, {
      refundId: newId(),
      paymentId: p.paymentId,
      orderId: p.orderId,
      userId: p.userId,
      amountCents: p.amountCents,
      reason: 'LATE_PAYMENT',
      txId: ctx.txId,
    });
    // Deferred to the end of the local transaction: the wallet row's lock is held for its upsert and the COMMIT only.
    if (p.amountCents > 0) {
      await addToSumOrApply(em, ctx.local, walletCreditSum(p.userId), p.amountCents, (tx, total) =>
        this.wallets.addToBalance(tx, p.userId, total),
      );
    }
    await afterLocalCommit(em, ctx.local, () => payments.inc({ method: 'EXTERNAL', outcome: 'late_refunded' }));
    this.logger.warn(
      { txId: ctx.txId, paymentId: p.paymentId, orderId: p.orderId },
      'gateway payment of a rolled-back order refunded to the wallet',
    );
  }
}
