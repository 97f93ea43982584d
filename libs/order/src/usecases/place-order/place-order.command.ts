/** Input of PlaceOrder: the validated body plus who asks and their Idempotency-Key. */
export interface PlaceOrderCommand {
  userId: string;
  idempotencyKey: string;
  items: Array<{ sku: string; qty: number }>;
  couponCode?: string;
  warehouse?: string;
  /**
   * The key may already have an order whose Redis record was lost (IdempotencyEpoch): look the
   * order up before anything can refuse the retry. False on the hot path.
   */
  keyMayHaveOrder: boolean;
}
