import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError } from '@app/core';
import type { BranchContext, TccParticipantHandler } from '@app/tcc/participant';
import { payments } from '../payment.metrics';
import { PaymentRepository } from '../payment.repository';
import { ExternalPaymentPayload } from './payment-branch.payload';

/** A payment the gateway already took: recorded PENDING on try, CAPTURED on confirm, FAILED on cancel. */
@Injectable()
export class ExternalPaymentBranch implements TccParticipantHandler<ExternalPaymentPayload> {
  private readonly logger = new Logger('ExternalPaymentBranch');

  constructor(private readonly paymentRows: PaymentRepository) {}

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
    if (!recorded) {
      payments.inc({ method: 'EXTERNAL', outcome: 'duplicate' });
      throw DomainError.conflict(`Payment ${p.paymentId} is already recorded`, { paymentId: p.paymentId });
    }
    payments.inc({ method: 'EXTERNAL', outcome: 'pending' });
  }

  async confirm(em: EntityManager, ctx: BranchContext): Promise<void> {
    if (await this.paymentRows.transitionBranch(em, ctx.branchId, 'PENDING', 'CAPTURED')) {
      payments.inc({ method: 'EXTERNAL', outcome: 'captured' });
    } else {
      this.logger.warn({ txId: ctx.txId, branchId: ctx.branchId }, 'external confirm found no PENDING payment');
    }
  }

  async cancel(em: EntityManager, ctx: BranchContext): Promise<void> {
    // The gateway holds the money of a FAILED external payment: recordLatePayment refunds it.
    if (await this.paymentRows.transitionBranch(em, ctx.branchId, 'PENDING', 'FAILED')) {
      payments.inc({ method: 'EXTERNAL', outcome: 'failed' });
    } else {
      this.logger.warn({ txId: ctx.txId, branchId: ctx.branchId }, 'external cancel found no PENDING payment');
    }
  }
}
