import type { WarehouseDto } from './dto/product.dto';
import type { ProductEntity } from './entities/product.entity';
import type { WarehouseEntity } from './entities/warehouse.entity';
import type { ProductInfo } from './product.types';

export function toProductInfo(p: ProductEntity): ProductInfo {
  return { sku: p.sku, name: p.name, priceCents: p.priceCents, status: p.status, maxPerUser: p.maxPerUser };
}

export function toWarehouseDto(w: WarehouseEntity): WarehouseDto {
  return { code: w.code, name: w.name, createdAt: w.createdAt.toISOString() };
}
