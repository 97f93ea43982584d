import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, ErrorCode, newId } from '@app/core';
import { afterLocalCommit, countRefusal, type BranchContext, type TccParticipantHandler } from '@app/tcc';
import { payments } from '../payment.metrics';
import { PaymentRepository } from '../repositories/payment.repository';
import { WalletRepository } from '../repositories/wallet.repository';
import { WalletPaymentPayload } from './payment-branch.payload';

/** Pay from the wallet: the money is frozen by the try and leaves the wallet on confirm. */
@Injectable()
export class WalletPaymentBranch implements TccParticipantHandler<WalletPaymentPayload> {
  private readonly logger = new Logger(WalletPaymentBranch.name);

  constructor(
    private readonly wallets: WalletRepository,
    private readonly paymentRows: PaymentRepository,
  ) {}

  async try(em: EntityManager, ctx: BranchContext, p: WalletPaymentPayload): Promise<void> {
    if (p.amountCents > 0) {
      await this.wallets.freeze(em, ctx.local, p.userId, p.amountCents, () => {
        countRefusal(ctx.local, () => payments.inc({ method: 'WALLET', outcome: 'insufficient_balance' }));
        return new DomainError(ErrorCode.INSUFFICIENT_BALANCE, 'Wallet balance is too low for this payment', {
          amountCents: p.amountCents,
        });
      });
    }
    // A refusal rolls the freeze above back with the rest of this local transaction.
    await this.paymentRows.insertPaymentOrRefuse(
      em,
      ctx.local,
      {
        paymentId: newId(),
        orderId: p.orderId,
        userId: p.userId,
        method: 'WALLET',
        amountCents: p.amountCents,
        status: 'FROZEN',
        txId: ctx.txId,
        branchId: ctx.branchId,
      },
      () => {
        countRefusal(ctx.local, () => payments.inc({ method: 'WALLET', outcome: 'refused_second_payment' }));
        return new DomainError(ErrorCode.ORDER_STATE_CONFLICT, `Order ${p.orderId} already has a payment`, {
          orderId: p.orderId,
        });
      },
    );
    await afterLocalCommit(em, ctx.local, () => payments.inc({ method: 'WALLET', outcome: 'frozen' }));
  }

  async confirm(em: EntityManager, ctx: BranchContext, p: WalletPaymentPayload): Promise<void> {
    // The payment's own compare-and-set decides; money moves only if it changed. A first
    // confirm knows it changes (the count is checked with the writes, no round trip).
    if (ctx.firstRun && ctx.local) {
      this.paymentRows.queueTransitionBranch(ctx.local, ctx.branchId, 'FROZEN', 'CAPTURED', ctx.firstRun.mismatch);
    } else if (!(await this.paymentRows.transitionBranch(em, ctx.branchId, 'FROZEN', 'CAPTURED'))) {
      this.logger.warn({ txId: ctx.txId, branchId: ctx.branchId }, 'wallet confirm found no FROZEN payment');
      return;
    }
    if (p.amountCents > 0) {
      await this.wallets.captureFrozen(
        em,
        ctx.local,
        p.userId,
        p.amountCents,
        () => new Error(`wallet of ${p.userId} holds less frozen money than payment ${ctx.branchId}`),
      );
    }
    await afterLocalCommit(em, ctx.local, () => payments.inc({ method: 'WALLET', outcome: 'captured' }));
  }

  async cancel(em: EntityManager, ctx: BranchContext, p: WalletPaymentPayload): Promise<void> {
    if (!(await this.paymentRows.transitionBranch(em, ctx.branchId, 'FROZEN', 'FAILED'))) {
      this.logger.warn({ txId: ctx.txId, branchId: ctx.branchId }, 'wallet cancel found no FROZEN payment');
      return;
    }
    if (p.amountCents > 0 && !(await this.wallets.releaseFrozen(em, p.userId, p.amountCents))) {
      throw new Error(`wallet of ${p.userId} holds less frozen money than payment ${ctx.branchId}`);
    }
    await afterLocalCommit(em, ctx.local, () => payments.inc({ method: 'WALLET', outcome: 'released' }));
  }
}
