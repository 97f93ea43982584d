/** Input of PlaceOrder: the validated body plus who asks and their Idempotency-Key. */
export interface PlaceOrderCommand {
  userId: string;
  idempotencyKey: string;
  items: Array<{ sku: string; qty: number }>;
  couponCode?: string;
  warehouse?: string;
}
