import { DomainError, ErrorCode } from '@app/core';
import type { OrderView } from './order.types';

/** 409 ORDER_STATE_CONFLICT: the order is not in a state that allows the action. */
export function orderStateConflict(order: Pick<OrderView, 'orderId' | 'status'>, action: string): DomainError {
  return new DomainError(
    ErrorCode.ORDER_STATE_CONFLICT,
    `Cannot ${action} order ${order.orderId}: it is ${order.status}`,
    {
      orderId: order.orderId,
      status: order.status,
    },
  );
}

export function orderNotFound(orderId: string): DomainError {
  return DomainError.notFound(`Order ${orderId}`, { orderId });
}
