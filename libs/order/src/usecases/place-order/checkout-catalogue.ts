import { Injectable } from '@nestjs/common';
import { AppConfig, DomainError } from '@app/core';
import { ProductInfo, ProductService } from '@app/product';

interface Cached<T> {
  value: Promise<T>;
  at: number;
}

/** Bounds memory when clients send many unknown skus or warehouse codes. */
const MAX_ENTRIES = 10_000;

/**
 * Checkout's in-process view of prices and warehouses, kept for config.catalogueCacheMs.
 * A flash-sale flood is mostly refusals and must not cost a MySQL round trip each: with
 * this cache the only I/O before the stock gate's refusal is Redis. Concurrent misses for
 * one sku share one query. The price charged is at most one cache interval old.
 */
@Injectable()
export class CheckoutCatalogue {
  private readonly products = new Map<string, Cached<ProductInfo | null>>();
  /** Code as the client sent it → the catalogue's spelling, or null when unknown. */
  private readonly warehouses = new Map<string, Cached<string | null>>();

  constructor(
    private readonly catalogue: ProductService,
    private readonly config: AppConfig,
  ) {}

  /**
   * The products of these skus, keyed by the sku as asked (`tee` finds `TEE`: the catalogue
   * compares skus case-insensitively); unknown skus are absent from the map.
   */
  async productsOf(skus: string[]): Promise<Map<string, ProductInfo>> {
    const now = Date.now();
    const values = skus.map((sku) => {
      const entry = this.products.get(sku);
      return this.isFresh(entry, now) ? entry!.value : undefined;
    });
    const missing = skus.filter((_, i) => values[i] === undefined);
    if (missing.length) {
      const loaded = this.catalogue.findProducts(missing);
      this.trim(this.products);
      skus.forEach((sku, i) => {
        if (values[i] !== undefined) return;
        const value = loaded.then((found) => found.get(sku) ?? sameSkuIgnoringCase(found, sku));
        value.catch(() => this.products.delete(sku));
        this.products.set(sku, { value, at: now });
        values[i] = value;
      });
    }
    // Every slot holds a promise by now: the missing ones were filled just above.
    const infos = await Promise.all(values as Array<Promise<ProductInfo | null>>);
    const found = new Map<string, ProductInfo>();
    skus.forEach((sku, i) => {
      if (infos[i]) found.set(sku, infos[i]);
    });
    return found;
  }

  /**
   * The warehouse code as the catalogue spells it (`WEST` → `west`), so the order, the stock
   * row and the Redis gate all use one key; 404 NOT_FOUND for an unknown code.
   */
  async requireWarehouse(code: string): Promise<string> {
    const now = Date.now();
    let entry = this.warehouses.get(code);
    if (!this.isFresh(entry, now)) {
      const value = this.catalogue.requireWarehouse(code).then(
        (canonical): string | null => canonical,
        (err: unknown) => {
          if (err instanceof DomainError) return null;
          throw err;
        },
      );
      this.trim(this.warehouses);
      entry = { value, at: now };
      this.warehouses.set(code, entry);
      value.catch(() => this.warehouses.delete(code));
    }
    const canonical = await entry!.value;
    if (canonical === null) throw DomainError.notFound(`Warehouse ${code}`, { warehouse: code });
    return canonical;
  }

  private isFresh(entry: Cached<unknown> | undefined, now: number): boolean {
    return entry !== undefined && now - entry.at < this.config.catalogueCacheMs;
  }

  private trim(map: Map<string, unknown>): void {
    if (map.size >= MAX_ENTRIES) map.clear();
  }
}

/** Skus are ASCII ([A-Za-z0-9_.-]), so the column's case-insensitive match is a lower-case compare. */
function sameSkuIgnoringCase(found: Map<string, ProductInfo>, sku: string): ProductInfo | null {
  const wanted = sku.toLowerCase();
  for (const product of found.values()) if (product.sku.toLowerCase() === wanted) return product;
  return null;
}
