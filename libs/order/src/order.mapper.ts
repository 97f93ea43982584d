import type { OrderDto } from './dto/order.dto';
import type { OrderView } from './order.types';

/** The Order of the REST contract (docs/api.md#storefront): exactly these fields (internal columns such as refundTxId stay inside). */
export function toOrderDto(o: OrderView): OrderDto {
  return {
    orderId: o.orderId,
    userId: o.userId,
    status: o.status,
    items: o.items.map((i) => ({ sku: i.sku, qty: i.qty, unitPriceCents: i.unitPriceCents })),
    couponCode: o.couponCode,
    totalCents: o.totalCents,
    discountCents: o.discountCents,
    payableCents: o.payableCents,
    warehouse: o.warehouse,
    txId: o.txId,
    expiresAt: o.expiresAt.toISOString(),
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}
