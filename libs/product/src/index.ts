export { ProductModule } from './product.module';
export { ProductService, type ProductInfo } from './usecases/product.service';
export { StockAvailability, type StockAvailabilitySource } from './usecases/stock-availability';
import { Product1700000001000 } from './migrations/1700000001000-product';

export const PRODUCT_MIGRATIONS = [Product1700000001000];
