import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { afterLocalCommit, type BranchContext, type TccParticipantHandler } from '@app/tcc';
import { statusAfterRollback } from '../order-state-machine';
import { countOrderOutcome } from '../order.metrics';
import type { OrderPlacePayload } from '../order.types';
import { OrderRepository } from '../repositories/order.repository';

/**
 * A checkout places the order: try inserts it PENDING_PAYMENT; confirm → PAID; cancel →
 * CANCELLED, or EXPIRED when the recovery job rolled the deadline back.
 */
@Injectable()
export class OrderPlaceBranch implements TccParticipantHandler<OrderPlacePayload> {
  private readonly logger = new Logger(OrderPlaceBranch.name);

  constructor(private readonly orders: OrderRepository) {}

  async try(em: EntityManager, ctx: BranchContext, payload: OrderPlacePayload): Promise<void> {
    await this.orders.insertOrder(em, payload.order, ctx.local);
  }

  async confirm(em: EntityManager, ctx: BranchContext, payload: OrderPlacePayload): Promise<void> {
    const orderId = payload.order.orderId;
    await this.orders.transitionOrFail(em, ctx.local, orderId, 'PENDING_PAYMENT', 'PAID', () => {
      // The fence guarantees one confirm per tried branch, so this is a broken invariant: keep retrying, loudly.
      this.logger.error(
        { txId: ctx.txId, orderId, from: 'PENDING_PAYMENT', to: 'PAID' },
        'order confirm found the order in an unexpected state',
      );
      return new Error(`Order ${orderId} is not PENDING_PAYMENT; cannot confirm PAID`);
    });
    await afterLocalCommit(em, ctx.local, () => countOrderOutcome('paid'));
  }

  async cancel(em: EntityManager, ctx: BranchContext, payload: OrderPlacePayload): Promise<void> {
    const to = statusAfterRollback(ctx.cancelReason);
    if (!(await this.orders.transition(em, payload.order.orderId, 'PENDING_PAYMENT', to))) {
      this.logger.error(
        { txId: ctx.txId, orderId: payload.order.orderId, to },
        'order cancel found the order not pending',
      );
      throw new Error(`Order ${payload.order.orderId} is not PENDING_PAYMENT; cannot cancel to ${to}`);
    }
    if (ctx.cancelReason !== 'TRY_FAILED')
      await afterLocalCommit(em, ctx.local, () => countOrderOutcome(to.toLowerCase()));
  }
}
