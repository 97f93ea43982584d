import { Product1700000001000 } from './migrations/1700000001000-product';

export { ProductModule } from './product.module';
export { ProductService } from './usecases/product.service';
export { CatalogueCache } from './usecases/catalogue-cache';
export type { ProductInfo } from './product.types';
export { StockAvailability, type StockAvailabilitySource } from './usecases/stock-availability';

export const PRODUCT_MIGRATIONS = [Product1700000001000];
