import type { OrderStatus } from './order-state-machine';

export interface OrderLine {
  sku: string;
  qty: number;
  unitPriceCents: number;
}

/** Everything the `order` participant needs to insert an order (carried in its branch payload). */
export interface NewOrder {
  orderId: string;
  userId: string;
  warehouse: string;
  couponCode: string | null;
  totalCents: number;
  discountCents: number;
  payableCents: number;
  txId: string;
  idempotencyKey: string;
  /** ISO time: the checkout transaction's deadline. */
  expiresAt: string;
  /** ISO time the order was placed. */
  createdAt: string;
  items: OrderLine[];
}

/** An order as the module reads it back. */
export interface OrderView {
  orderId: string;
  userId: string;
  status: OrderStatus;
  warehouse: string;
  couponCode: string | null;
  totalCents: number;
  discountCents: number;
  payableCents: number;
  txId: string;
  refundTxId: string | null;
  idempotencyKey: string;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
  items: OrderLine[];
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
