import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BranchContext, TccParticipant, TccParticipantHandler } from '@app/tcc';
import type { OrderBranchPayload } from '../order.types';
import { OrderPlaceBranch } from './order-place.branch';
import { OrderRefundBranch } from './order-refund.branch';

export const ORDER_PARTICIPANT = 'order';

declare module '@app/tcc' {
  interface TccPayloads {
    [ORDER_PARTICIPANT]: OrderBranchPayload;
  }
}

/** TCC participant `order`: routes each branch to the handler of its kind (checkout `place`, `refund`). */
@Injectable()
@TccParticipant(ORDER_PARTICIPANT)
export class OrderParticipant implements TccParticipantHandler<OrderBranchPayload> {
  constructor(
    private readonly place: OrderPlaceBranch,
    private readonly refund: OrderRefundBranch,
  ) {}

  try(em: EntityManager, ctx: BranchContext, payload: OrderBranchPayload): Promise<void> {
    return payload.kind === 'place' ? this.place.try(em, ctx, payload) : this.refund.try(em, ctx, payload);
  }

  confirm(em: EntityManager, ctx: BranchContext, payload: OrderBranchPayload): Promise<void> {
    return payload.kind === 'place' ? this.place.confirm(em, ctx, payload) : this.refund.confirm(em, ctx, payload);
  }

  cancel(em: EntityManager, ctx: BranchContext, payload: OrderBranchPayload): Promise<void> {
    return payload.kind === 'place' ? this.place.cancel(em, ctx, payload) : this.refund.cancel();
  }
}
