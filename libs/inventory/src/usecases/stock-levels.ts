import { Injectable } from '@nestjs/common';
import { DomainError } from '@app/core';
import { ProductService } from '@app/product';
import { StockRepository } from '../repositories/stock.repository';

const MAX_REMEMBERED = 100_000;

export interface StockLevel {
  sku: string;
  warehouse: string;
  available: number;
}

/**
 * Read side for followers of stock (live streams): which skus exist, and the committed
 * `available` of rows. A sku the catalogue has but the warehouse never received is 0.
 */
@Injectable()
export class StockLevels {
  /**
   * Catalogue spellings by folded code. Products and warehouses are never deleted, so a known
   * one stays known: a storm of reconnecting clients costs no query for them. Bounded for safety.
   */
  private readonly skus = new Map<string, string>();
  private readonly warehouses = new Map<string, string>();

  constructor(
    private readonly stock: StockRepository,
    private readonly products: ProductService,
  ) {}

  /**
   * The warehouse and skus as the catalogue spells them. Unknown skus → 400 VALIDATION_FAILED
   * (naming them); unknown warehouse → 404 NOT_FOUND.
   */
  async resolve(skus: string[], warehouse: string): Promise<{ warehouse: string; skus: string[] }> {
    const code = this.warehouses.get(warehouse.toLowerCase()) ?? (await this.loadWarehouse(warehouse));
    const missing = skus.filter((s) => !this.skus.has(s.toLowerCase()));
    if (missing.length) {
      const found = await this.products.findProducts(missing);
      if (this.skus.size + found.size > MAX_REMEMBERED) this.skus.clear();
      for (const sku of found.keys()) this.skus.set(sku.toLowerCase(), sku);
    }
    const unknown = skus.filter((s) => !this.skus.has(s.toLowerCase()));
    if (unknown.length) throw DomainError.validation('Unknown skus', { unknown });
    return { warehouse: code, skus: skus.map((s) => this.skus.get(s.toLowerCase())!) };
  }

  /** Committed availability of these rows of one warehouse, in one query. */
  async availableOf(skus: string[], warehouse: string): Promise<StockLevel[]> {
    const rows = await this.stock.availableOf(skus, warehouse);
    const folded = new Map([...rows].map(([sku, available]) => [sku.toLowerCase(), available]));
    return skus.map((sku) => ({ sku, warehouse, available: folded.get(sku.toLowerCase()) ?? 0 }));
  }

  private async loadWarehouse(warehouse: string): Promise<string> {
    const code = await this.products.requireWarehouse(warehouse);
    if (this.warehouses.size < 10_000) this.warehouses.set(warehouse.toLowerCase(), code);
    return code;
  }
}
