import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '@app/core';
import { afterLocalCommit, type BranchContext, type TccParticipantHandler } from '@app/tcc';
import { countOrderOutcome } from '../order.metrics';
import type { OrderRefundPayload } from '../order.types';
import { OrderRepository } from '../repositories/order.repository';

/**
 * A refund of a paid order: try checks the order is PAID and claimed by this refund (it holds
 * nothing); confirm → REFUNDED; cancel has nothing to undo.
 */
@Injectable()
export class OrderRefundBranch implements TccParticipantHandler<OrderRefundPayload> {
  private readonly logger = new Logger(OrderRefundBranch.name);

  constructor(private readonly orders: OrderRepository) {}

  async try(em: EntityManager, ctx: BranchContext, payload: OrderRefundPayload): Promise<void> {
    if (!(await this.orders.isRefundClaimedBy(em, payload.orderId, ctx.txId))) {
      throw new DomainError(ErrorCode.ORDER_STATE_CONFLICT, 'The order is not refundable by this transaction', {
        orderId: payload.orderId,
      });
    }
  }

  async confirm(em: EntityManager, ctx: BranchContext, payload: OrderRefundPayload): Promise<void> {
    const orderId = payload.orderId;
    await this.orders.transitionOrFail(em, ctx.local, orderId, 'PAID', 'REFUNDED', () => {
      // The fence guarantees one confirm per tried branch, so this is a broken invariant: keep retrying, loudly.
      this.logger.error(
        { txId: ctx.txId, orderId, from: 'PAID', to: 'REFUNDED' },
        'order confirm found the order in an unexpected state',
      );
      return new Error(`Order ${orderId} is not PAID; cannot confirm REFUNDED`);
    });
    await afterLocalCommit(em, ctx.local, () => countOrderOutcome('refunded'));
  }

  async cancel(): Promise<void> {
    // the refund try held nothing
  }
}
