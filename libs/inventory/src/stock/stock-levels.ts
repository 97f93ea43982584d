import { Injectable } from '@nestjs/common';
import { DomainError } from '@app/core';
import { ProductService } from '@app/product';
import { StockRepository } from './stock.repository';

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
  constructor(
    private readonly stock: StockRepository,
    private readonly products: ProductService,
  ) {}

  /**
   * The warehouse and skus as the catalogue spells them. Unknown skus → 400 VALIDATION_FAILED
   * (naming them); unknown warehouse → 404 NOT_FOUND.
   */
  async resolve(skus: string[], warehouse: string): Promise<{ warehouse: string; skus: string[] }> {
    const code = await this.products.requireWarehouse(warehouse);
    const found = await this.products.findProducts(skus);
    const byFolded = new Map([...found.keys()].map((sku) => [sku.toLowerCase(), sku]));
    const unknown = skus.filter((s) => !byFolded.has(s.toLowerCase()));
    if (unknown.length) throw DomainError.validation('Unknown skus', { unknown });
    return { warehouse: code, skus: skus.map((s) => byFolded.get(s.toLowerCase())!) };
  }

  /** Committed availability of these rows of one warehouse, in one query. */
  async availableOf(skus: string[], warehouse: string): Promise<StockLevel[]> {
    const rows = await this.stock.availableOf(skus, warehouse);
    const folded = new Map([...rows].map(([sku, available]) => [sku.toLowerCase(), available]));
    return skus.map((sku) => ({ sku, warehouse, available: folded.get(sku.toLowerCase()) ?? 0 }));
  }
}
