import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProductEntity } from './entities/product.entity';
import { WarehouseEntity } from './entities/warehouse.entity';
import { ProductAdminController } from './product.admin.controller';
import { ProductRepository } from './product.repository';
import { ProductService } from './product.service';
import { ProductStorefrontController } from './product.storefront.controller';
import { StockAvailability } from './stock-availability';

@Module({
  imports: [TypeOrmModule.forFeature([ProductEntity, WarehouseEntity])],
  controllers: [ProductStorefrontController, ProductAdminController],
  providers: [ProductRepository, ProductService, StockAvailability],
  exports: [ProductService, StockAvailability],
})
export class ProductModule {}
