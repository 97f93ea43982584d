import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProductAdminController } from './controllers/product.admin.controller';
import { ProductStorefrontController } from './controllers/product.storefront.controller';
import { ProductEntity } from './entities/product.entity';
import { WarehouseEntity } from './entities/warehouse.entity';
import { ProductRepository } from './repositories/product.repository';
import { CatalogueCache } from './usecases/catalogue-cache';
import { ProductService } from './usecases/product.service';
import { StockAvailability } from './usecases/stock-availability';

@Module({
  imports: [TypeOrmModule.forFeature([ProductEntity, WarehouseEntity])],
  controllers: [ProductStorefrontController, ProductAdminController],
  providers: [ProductRepository, ProductService, StockAvailability, CatalogueCache],
  exports: [ProductService, StockAvailability, CatalogueCache],
})
export class ProductModule {}
