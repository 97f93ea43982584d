import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BranchContext, TccParticipant, TccParticipantHandler } from '@app/tcc';
import { ExternalPaymentBranch } from './external-payment.branch';
import { assertValidPaymentPayload, PaymentBranchPayload } from './payment-branch.payload';
import { RefundPaymentBranch } from './refund-payment.branch';
import { WalletPaymentBranch } from './wallet-payment.branch';

export const PAYMENT_PARTICIPANT = 'payment';

declare module '@app/tcc' {
  interface TccPayloads {
    [PAYMENT_PARTICIPANT]: PaymentBranchPayload;
  }
}

/**
 * The `payment` TCC participant: routes each branch to the handler of its kind. The
 * library's fence runs each method at most once per branch, in the local transaction `em`.
 */
@Injectable()
@TccParticipant(PAYMENT_PARTICIPANT)
export class PaymentParticipant implements TccParticipantHandler<PaymentBranchPayload> {
  constructor(
    private readonly wallet: WalletPaymentBranch,
    private readonly external: ExternalPaymentBranch,
    private readonly refund: RefundPaymentBranch,
  ) {}

  /** A gateway payment's money is outside our database: its branch keeps a local transaction per phase of its own. */
  isColocated(payload: PaymentBranchPayload): boolean {
    return payload?.kind !== 'external';
  }

  async try(em: EntityManager, ctx: BranchContext, payload: PaymentBranchPayload): Promise<void> {
    assertValidPaymentPayload(payload);
    switch (payload.kind) {
      case 'wallet':
        return this.wallet.try(em, ctx, payload);
      case 'external':
        return this.external.try(em, ctx, payload);
      case 'refund':
        return this.refund.try(em, ctx, payload);
    }
  }

  confirm(em: EntityManager, ctx: BranchContext, payload: PaymentBranchPayload): Promise<void> {
    switch (payload.kind) {
      case 'wallet':
        return this.wallet.confirm(em, ctx, payload);
      case 'external':
        return this.external.confirm(em, ctx);
      case 'refund':
        return this.refund.confirm(em, ctx, payload);
    }
  }

  cancel(em: EntityManager, ctx: BranchContext, payload: PaymentBranchPayload): Promise<void> {
    switch (payload.kind) {
      case 'wallet':
        return this.wallet.cancel(em, ctx, payload);
      case 'external':
        return this.external.cancel(em, ctx, payload);
      case 'refund':
        return this.refund.cancel();
    }
  }
}
