import type { ProductStatus } from './entities/product.entity';

/** What other modules may know of a product (prices are always taken from here, never from a client). */
export interface ProductInfo {
  sku: string;
  name: string;
  priceCents: number;
  status: ProductStatus;
  maxPerUser: number | null;
}
