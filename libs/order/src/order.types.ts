import type { OrderStatus } from './order-state-machine';

export interface OrderLine {
  sku: string;
  qty: number;
  unitPriceCents: number;
}

/** What an order carries from the moment it is placed. */
interface OrderFields {
  orderId: string;
  userId: string;
  warehouse: string;
  couponCode: string | null;
  totalCents: number;
  discountCents: number;
  payableCents: number;
  txId: string;
  idempotencyKey: string;
  items: OrderLine[];
}

/** Everything the `order` participant needs to insert an order (carried in its branch payload). */
export interface NewOrder extends OrderFields {
  /** ISO time: the checkout transaction's deadline. */
  expiresAt: string;
  /** ISO time the order was placed. */
  createdAt: string;
}

/** An order as the module reads it back. */
export interface OrderView extends OrderFields {
  status: OrderStatus;
  refundTxId: string | null;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** Payloads of the branches of participant `order`: a checkout places the order, a refund refunds it. */
export interface OrderPlacePayload {
  kind: 'place';
  order: NewOrder;
}
export interface OrderRefundPayload {
  kind: 'refund';
  orderId: string;
}
export type OrderBranchPayload = OrderPlacePayload | OrderRefundPayload;
