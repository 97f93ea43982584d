import { DomainError, ErrorCode } from '@app/core';
import type { ProductInfo } from '@app/product';
import type { OrderLine } from '../../order.types';

export interface PricedCart {
  /** Sorted by sku: the order's lines and the inventory branch's lines (locks taken in one order). */
  lines: OrderLine[];
  totalCents: number;
}

/**
 * Prices the cart from the catalogue (never from the client) and refuses what can be
 * refused from memory. `products` is keyed by the sku as the client spelt it; the lines carry
 * the catalogue's spelling (skus compare case-insensitively, as GET /v1/products/:sku does),
 * so two spellings of one sku are a duplicate line → 400. Unknown sku → 404, INACTIVE product → 409 CONFLICT (reason
 * PRODUCT_INACTIVE: the request is valid, the product is not for sale now), a line above
 * the product's per-user limit → 409 PURCHASE_LIMIT_EXCEEDED (the inventory try enforces
 * the limit across orders; this only spares it the obvious case).
 */
export function priceCart(items: Array<{ sku: string; qty: number }>, products: Map<string, ProductInfo>): PricedCart {
  const unknown = items.filter((i) => !products.has(i.sku)).map((i) => i.sku);
  if (unknown.length) {
    throw DomainError.notFound(`Product ${unknown.join(', ')}`, { sku: unknown[0], skus: unknown });
  }
  const resolved = items.map((item) => ({ qty: item.qty, product: products.get(item.sku)! }));
  const seen = new Set<string>();
  for (const { product } of resolved) {
    if (seen.has(product.sku)) throw DomainError.validation('items must not repeat a sku', { sku: product.sku });
    seen.add(product.sku);
  }
  const lines: OrderLine[] = [];
  let totalCents = 0;
  for (const { qty, product } of resolved.sort((a, b) =>
    a.product.sku < b.product.sku ? -1 : a.product.sku > b.product.sku ? 1 : 0,
  )) {
    const sku = product.sku;
    if (product.status !== 'ACTIVE') {
      throw new DomainError(ErrorCode.CONFLICT, `Product ${sku} is not for sale`, { sku, reason: 'PRODUCT_INACTIVE' });
    }
    if (product.maxPerUser !== null && qty > product.maxPerUser) {
      throw new DomainError(ErrorCode.PURCHASE_LIMIT_EXCEEDED, `At most ${product.maxPerUser} of ${sku} per user`, {
        sku,
        maxPerUser: product.maxPerUser,
      });
    }
    lines.push({ sku, qty, unitPriceCents: product.priceCents });
    totalCents += qty * product.priceCents;
  }
  if (!Number.isSafeInteger(totalCents)) {
    throw DomainError.validation('The order total is too large', { totalCents });
  }
  return { lines, totalCents };
}

/** Whether an existing order answers the same request (same lines, coupon and warehouse). */
export function isSameRequest(
  existing: { items: Array<{ sku: string; qty: number }>; couponCode: string | null; warehouse: string },
  request: { items: Array<{ sku: string; qty: number }>; couponCode: string | null; warehouse: string },
): boolean {
  const key = (items: Array<{ sku: string; qty: number }>) =>
    items
      .map((i) => `${i.sku}\u0000${i.qty}`)
      .sort()
      .join('\u0001');
  return (
    existing.warehouse === request.warehouse &&
    existing.couponCode === request.couponCode &&
    key(existing.items) === key(request.items)
  );
}
