import { Injectable } from '@nestjs/common';
import { AppConfig, DomainError, Page, pageOf, PageQueryDto } from '@app/core';
import { CreateProductDto, CreateWarehouseDto, ProductDto, UpdateProductDto, WarehouseDto } from '../dto/product.dto';
import { ProductEntity, ProductStatus } from '../entities/product.entity';
import { WarehouseEntity } from '../entities/warehouse.entity';
import { toProductInfo, toWarehouseDto } from '../product.mapper';
import type { ProductInfo } from '../product.types';
import { ProductRepository } from '../repositories/product.repository';
import { CatalogueCache } from './catalogue-cache';
import { StockAvailability } from './stock-availability';

@Injectable()
export class ProductService {
  constructor(
    private readonly repository: ProductRepository,
    private readonly availability: StockAvailability,
    private readonly config: AppConfig,
    private readonly cache: CatalogueCache,
  ) {}

  async createProduct(dto: CreateProductDto): Promise<ProductDto> {
    const now = new Date();
    const product = Object.assign(new ProductEntity(), {
      sku: dto.sku,
      name: dto.name,
      category: dto.category,
      priceCents: dto.priceCents,
      status: 'ACTIVE' as const,
      maxPerUser: dto.maxPerUser ?? null,
      createdAt: now,
      updatedAt: now,
    });
    if (!(await this.repository.insertProduct(product))) {
      throw DomainError.conflict(`Product ${dto.sku} already exists`, { sku: dto.sku });
    }
    this.cache.forgetProduct(product.sku);
    return (await this.withAvailability([product]))[0];
  }

  async updateProduct(sku: string, dto: UpdateProductDto): Promise<ProductDto> {
    const product = await this.requireProduct(sku);
    if (dto.sku !== undefined && dto.sku !== sku) throw DomainError.validation('sku cannot be changed');
    if (dto.name !== undefined) product.name = dto.name;
    if (dto.category !== undefined) product.category = dto.category;
    if (dto.priceCents !== undefined) product.priceCents = dto.priceCents;
    if (dto.maxPerUser !== undefined) product.maxPerUser = dto.maxPerUser;
    if (dto.status !== undefined) product.status = dto.status;
    product.updatedAt = new Date();
    await this.repository.save(product);
    this.cache.forgetProduct(product.sku);
    return (await this.withAvailability([product]))[0];
  }

  async getProduct(sku: string): Promise<ProductDto> {
    return (await this.withAvailability([await this.requireProduct(sku)]))[0];
  }

  async listProducts(
    filter: { status?: ProductStatus; category?: string },
    query: PageQueryDto,
  ): Promise<Page<ProductDto>> {
    const [items, total] = await this.repository.findPage(filter, query);
    return pageOf(await this.withAvailability(items), total, query);
  }

  /** For checkout and inventory: the products of these skus (missing ones are absent from the map). */
  async findProducts(skus: string[]): Promise<Map<string, ProductInfo>> {
    const rows = await this.repository.findBySkus(skus);
    return new Map(rows.map((p) => [p.sku, toProductInfo(p)]));
  }

  /** NOT_FOUND unless both exist; always asks the database (admin operations, where a fresh 404 matters more than speed). */
  async requireSkuAndWarehouse(sku: string, warehouse: string): Promise<void> {
    await this.requireProduct(sku);
    await this.requireWarehouse(warehouse);
  }

  async createWarehouse(dto: CreateWarehouseDto): Promise<WarehouseDto> {
    const warehouse = Object.assign(new WarehouseEntity(), { code: dto.code, name: dto.name, createdAt: new Date() });
    if (!(await this.repository.insertWarehouse(warehouse))) {
      throw DomainError.conflict(`Warehouse ${dto.code} already exists`, { code: dto.code });
    }
    this.cache.forgetWarehouse(warehouse.code);
    return toWarehouseDto(warehouse);
  }

  async listWarehouses(): Promise<WarehouseDto[]> {
    return (await this.repository.listWarehouses()).map(toWarehouseDto);
  }

  /**
   * The warehouse's code as the catalogue spells it (codes compare case-insensitively in
   * MySQL, but Redis keys and order rows must use one spelling), or 404 NOT_FOUND.
   */
  async requireWarehouse(code: string): Promise<string> {
    const canonical = code.length <= 32 ? await this.repository.findWarehouseCode(code) : null;
    if (canonical === null) throw DomainError.notFound(`Warehouse ${code}`, { warehouse: code });
    return canonical;
  }

  private async requireProduct(sku: string): Promise<ProductEntity> {
    const product = sku.length <= 64 ? await this.repository.findBySku(sku) : null;
    if (!product) throw DomainError.notFound(`Product ${sku}`, { sku });
    return product;
  }

  private async withAvailability(products: ProductEntity[]): Promise<ProductDto[]> {
    const available = await this.availability.availableOf(
      products.map((p) => p.sku),
      this.config.inventory.defaultWarehouse,
    );
    return products.map((p) => ({
      sku: p.sku,
      name: p.name,
      category: p.category,
      priceCents: p.priceCents,
      status: p.status,
      maxPerUser: p.maxPerUser,
      available: available.get(p.sku) ?? 0,
    }));
  }
}
