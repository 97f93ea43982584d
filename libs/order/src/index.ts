import { Order1700000006000 } from './migrations/1700000006000-order';

// Public API of the order module.
export { OrderModule } from './order.module';
export { ORDER_STATUSES, type OrderStatus, canTransition } from './order-state-machine';
export { ORDER_PARTICIPANT } from './branches/order.participant';
export type { OrderBranchPayload, OrderPlacePayload, OrderRefundPayload, NewOrder, OrderLine } from './order.types';
export type { OrderDto } from './dto/order.dto';
export type { PaymentCallbackDto, PaymentCallbackResultDto } from './dto/payment-callback.dto';

export const ORDER_MIGRATIONS = [Order1700000006000];
