import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { FindOptionsWhere, In, Repository } from 'typeorm';
import { isDuplicateKeyError, limitOffset, PageQueryDto } from '@app/core';
import { ProductEntity, ProductStatus } from '../entities/product.entity';
import { WarehouseEntity } from '../entities/warehouse.entity';

/** The only class that touches the `product` and `warehouse` tables. */
@Injectable()
export class ProductRepository {
  constructor(
    @InjectRepository(ProductEntity) private readonly products: Repository<ProductEntity>,
    @InjectRepository(WarehouseEntity) private readonly warehouses: Repository<WarehouseEntity>,
  ) {}

  /** Inserts; returns false when the sku exists. */
  async insertProduct(product: ProductEntity): Promise<boolean> {
    try {
      await this.products.insert(product);
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  findBySku(sku: string): Promise<ProductEntity | null> {
    return this.products.findOneBy({ sku });
  }

  findBySkus(skus: string[]): Promise<ProductEntity[]> {
    return skus.length ? this.products.findBy({ sku: In(skus) }) : Promise.resolve([]);
  }

  async save(product: ProductEntity): Promise<void> {
    await this.products.save(product);
  }

  findPage(
    filter: { status?: ProductStatus; category?: string },
    query: PageQueryDto,
  ): Promise<[ProductEntity[], number]> {
    const where: FindOptionsWhere<ProductEntity> = {};
    if (filter.status) where.status = filter.status;
    if (filter.category) where.category = filter.category;
    const { limit, offset } = limitOffset(query);
    return this.products.findAndCount({ where, order: { sku: 'ASC' }, take: limit, skip: offset });
  }

  async insertWarehouse(warehouse: WarehouseEntity): Promise<boolean> {
    try {
      await this.warehouses.insert(warehouse);
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  listWarehouses(): Promise<WarehouseEntity[]> {
    return this.warehouses.find({ order: { code: 'ASC' } });
  }

  /** The stored spelling of this code (the column compares case-insensitively), or null. */
  async findWarehouseCode(code: string): Promise<string | null> {
    return (await this.warehouses.findOne({ where: { code }, select: { code: true } }))?.code ?? null;
  }
}
