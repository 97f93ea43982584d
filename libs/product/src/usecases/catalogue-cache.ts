import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, DomainError } from '@app/core';
import { toProductInfo } from '../product.mapper';
import type { ProductInfo } from '../product.types';
import { ProductRepository } from '../repositories/product.repository';

interface Entry<T> {
  /** The answer, shared by every caller while its query runs. */
  value: Promise<T>;
  /** Set once the query answered: what a reader that accepts an old answer uses. */
  known: boolean;
  answer: T | undefined;
  at: number;
}

/** Bounds memory when clients send many unknown skus or warehouse codes. */
const MAX_ENTRIES = 10_000;

/**
 * The one in-process view of products and warehouses, for checkout (order) and the stock gate
 * and try (inventory). A flash-sale flood is mostly refusals and must not cost a MySQL round
 * trip each; and a TCC try, which holds a pooled connection, must not need a second one for a
 * lookup (with every connection held by a try waiting for one more, the pool would deadlock).
 *
 * Keys are the codes as asked; a sku matches the catalogue case-insensitively (`tee` finds
 * `TEE`), a warehouse answers its catalogue spelling. Unknown skus and codes are remembered
 * too (negative answers), for config.catalogueCacheMs. Concurrent misses share one query.
 * Warehouses are never deleted, so a known code stays known. A product or warehouse change made
 * through ProductService drops its entries at once; other instances see it within the interval.
 */
@Injectable()
export class CatalogueCache {
  private readonly logger = new Logger(CatalogueCache.name);
  private readonly products = new Map<string, Entry<ProductInfo | null>>();
  private readonly warehouses = new Map<string, Entry<string | null>>();
  /** How long the try may rely on what the gate warmed: at least 100 ms, so the two meet. */
  private readonly warmMs: number;

  constructor(
    private readonly repository: ProductRepository,
    private readonly config: AppConfig,
  ) {
    this.warmMs = Math.max(config.catalogueCacheMs, 100);
  }

  /** Checkout: the products of these skus, at most one cache interval old; unknown skus are absent. */
  async productsOf(skus: string[]): Promise<Map<string, ProductInfo>> {
    const now = Date.now();
    let missing: string[] | undefined;
    for (const sku of skus) {
      if (!this.isFresh(this.products.get(sku), now, this.config.catalogueCacheMs)) (missing ??= []).push(sku);
    }
    if (missing) this.load(missing, now);
    const infos = await Promise.all(skus.map((sku) => this.products.get(sku)!.value));
    const found = new Map<string, ProductInfo>();
    skus.forEach((sku, i) => {
      const info = infos[i];
      if (info) found.set(sku, info);
    });
    return found;
  }

  /** Outside any transaction (the gate): make sure recent entries exist for these skus. */
  async warm(skus: string[]): Promise<void> {
    const now = Date.now();
    const stale = skus.filter((sku) => !this.isFresh(this.products.get(sku), now, this.warmMs));
    if (stale.length) this.load(stale, now);
    await Promise.all(skus.map((sku) => this.products.get(sku)!.value));
  }

  /**
   * Inside a try: the products, from memory (NOT_FOUND for an unknown sku). Old answers are used
   * as they are and refreshed in the background; only a sku never seen waits for the database.
   */
  async productsForTry(skus: string[]): Promise<Map<string, ProductInfo>> {
    const now = Date.now();
    const unknown = skus.filter((sku) => !this.products.get(sku)?.known);
    if (unknown.length) await this.warm(unknown);
    const stale = skus.filter((sku) => !this.isFresh(this.products.get(sku), now, this.warmMs));
    if (stale.length) this.refreshInBackground(stale, now);
    const out = new Map<string, ProductInfo>();
    for (const sku of skus) {
      const info = this.products.get(sku)!.answer;
      if (!info) throw DomainError.notFound(`Product ${sku}`, { sku });
      out.set(sku, info);
    }
    return out;
  }

  /**
   * The warehouse code as the catalogue spells it (`WEST` → `west`), so the order, the stock row
   * and the Redis gate all use one key; 404 NOT_FOUND for an unknown code.
   */
  async requireWarehouse(code: string): Promise<string> {
    let entry = this.warehouses.get(code);
    // A known code stays known; an unknown one is asked again after the interval.
    if (
      !entry ||
      (entry.known && entry.answer === null && !this.isFresh(entry, Date.now(), this.config.catalogueCacheMs))
    ) {
      entry = this.loadWarehouse(code);
    }
    const canonical = entry.known ? entry.answer : await entry.value;
    if (canonical === null || canonical === undefined)
      throw DomainError.notFound(`Warehouse ${code}`, { warehouse: code });
    return canonical;
  }

  /** After a product was created or changed here: every spelling of its sku is asked again. */
  forgetProduct(sku: string): void {
    forgetFolded(this.products, sku);
  }

  /** After a warehouse was created here: an unknown answer for its code no longer holds. */
  forgetWarehouse(code: string): void {
    forgetFolded(this.warehouses, code);
  }

  private isFresh(entry: Entry<unknown> | undefined, now: number, maxAgeMs: number): boolean {
    return entry !== undefined && now - entry.at < maxAgeMs;
  }

  /** One query for these skus; their entries are replaced at once (a reader in flight keeps the old promise). */
  private load(skus: string[], now: number): void {
    // An entry counts as fresh from the moment its query is sent, so concurrent misses share it.
    const todo = skus;
    if (this.products.size + todo.length > MAX_ENTRIES) this.products.clear();
    const loaded = this.repository.findBySkus(todo).then((rows) => new Map(rows.map((p) => [p.sku, toProductInfo(p)])));
    for (const sku of todo) {
      const previous = this.products.get(sku);
      const entry: Entry<ProductInfo | null> = {
        value: loaded.then((found) => found.get(sku) ?? sameSkuIgnoringCase(found, sku)),
        known: previous?.known ?? false,
        answer: previous?.answer,
        at: now,
      };
      entry.value.then(
        (answer) => {
          entry.known = true;
          entry.answer = answer;
        },
        () => {
          if (this.products.get(sku) !== entry) return;
          if (previous) this.products.set(sku, previous);
          else this.products.delete(sku);
        },
      );
      this.products.set(sku, entry);
    }
  }

  private refreshInBackground(skus: string[], now: number): void {
    this.load(skus, now);
    const loads = skus.flatMap((sku) => this.products.get(sku)?.value ?? []);
    Promise.all(loads).catch((err: unknown) => this.logger.warn({ err }, 'Product refresh failed'));
  }

  private loadWarehouse(code: string): Entry<string | null> {
    if (this.warehouses.size >= MAX_ENTRIES) this.warehouses.clear();
    const entry: Entry<string | null> = {
      value: Promise.resolve(null),
      known: false,
      answer: undefined,
      at: Date.now(),
    };
    entry.value = (code.length <= 32 ? this.repository.findWarehouseCode(code) : Promise.resolve(null)).then(
      (canonical) => {
        entry.known = true;
        entry.answer = canonical;
        return canonical;
      },
      (err: unknown) => {
        if (this.warehouses.get(code) === entry) this.warehouses.delete(code);
        throw err;
      },
    );
    this.warehouses.set(code, entry);
    return entry;
  }
}

/** Skus are ASCII ([A-Za-z0-9_.-]), so the column's case-insensitive match is a lower-case compare. */
function sameSkuIgnoringCase(found: Map<string, ProductInfo>, sku: string): ProductInfo | null {
  const wanted = sku.toLowerCase();
  for (const product of found.values()) if (product.sku.toLowerCase() === wanted) return product;
  return null;
}

function forgetFolded(map: Map<string, unknown>, code: string): void {
  const folded = code.toLowerCase();
  for (const key of [...map.keys()]) if (key.toLowerCase() === folded) map.delete(key);
}
