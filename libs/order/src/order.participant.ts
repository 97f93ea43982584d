import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '@app/core';
import { afterLocalCommit, BranchContext, TccParticipant, TccParticipantHandler } from '@app/tcc';
import { countOrderOutcome } from './order.metrics';
import { OrderRepository } from './repositories/order.repository';
import { statusAfterRollback } from './order-state-machine';
import type { OrderBranchPayload } from './order.types';

/**
 * TCC participant `order`.
 * - checkout (`place`): try inserts the order PENDING_PAYMENT; confirm → PAID;
 *   cancel → CANCELLED, or EXPIRED when the recovery job rolled the deadline back.
 * - refund (`refund`): try checks the order is PAID and claimed by this refund; confirm → REFUNDED.
 */
@Injectable()
@TccParticipant('order')
export class OrderParticipant implements TccParticipantHandler<OrderBranchPayload> {
  private readonly logger = new Logger(OrderParticipant.name);

  constructor(private readonly orders: OrderRepository) {}

  async try(em: EntityManager, ctx: BranchContext, payload: OrderBranchPayload): Promise<void> {
    if (payload.kind === 'place') {
      await this.orders.insertOrder(em, payload.order, ctx.local);
      return;
    }
    if (!(await this.orders.isRefundClaimedBy(em, payload.orderId, ctx.txId))) {
      throw new DomainError(ErrorCode.ORDER_STATE_CONFLICT, 'The order is not refundable by this transaction', {
        orderId: payload.orderId,
      });
    }
  }

  async confirm(em: EntityManager, ctx: BranchContext, payload: OrderBranchPayload): Promise<void> {
    const [orderId, from, to] =
      payload.kind === 'place' ? [payload.order.orderId, 'PENDING_PAYMENT', 'PAID'] as const : [payload.orderId, 'PAID', 'REFUNDED'] as const;
    await this.orders.transitionOrFail(em, ctx.local, orderId, from, to, () => {
      // The fence guarantees one confirm per tried branch, so this is a broken invariant: keep retrying, loudly.
      this.logger.error({ txId: ctx.txId, orderId, from, to }, 'order confirm found the order in an unexpected state');
      return new Error(`Order ${orderId} is not ${from}; cannot confirm ${to}`);
    });
    await afterLocalCommit(em, ctx.local, () => countOrderOutcome(to.toLowerCase()));
  }

  async cancel(em: EntityManager, ctx: BranchContext, payload: OrderBranchPayload): Promise<void> {
    if (payload.kind === 'refund') return; // the refund try held nothing
    const to = statusAfterRollback(ctx.cancelReason);
    if (!(await this.orders.transition(em, payload.order.orderId, 'PENDING_PAYMENT', to))) {
      this.logger.error({ txId: ctx.txId, orderId: payload.order.orderId, to }, 'order cancel found the order not pending');
      throw new Error(`Order ${payload.order.orderId} is not PENDING_PAYMENT; cannot cancel to ${to}`);
    }
    if (ctx.cancelReason !== 'TRY_FAILED') await afterLocalCommit(em, ctx.local, () => countOrderOutcome(to.toLowerCase()));
  }
}
