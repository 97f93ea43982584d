import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, DomainError } from '@app/core';
import { ProductInfo, ProductService } from '@app/product';

interface Cached {
  info: ProductInfo | null;
  at: number;
}

/**
 * What inventory needs from the catalogue (does the sku exist, its per-user limit, does the
 * warehouse exist), cached in memory.
 *
 * Why a cache: the TCC try runs inside a local transaction that holds a pooled connection.
 * Asking ProductService from there needs a second connection; with every connection held by
 * a try waiting for one more, the pool would deadlock under a flash sale. So the gate, which
 * runs before the transaction, refreshes the entries (`prefetch`), and the try reads them
 * from memory (`forTry`), going to the database only for a sku it has never seen.
 */
@Injectable()
export class CatalogueLookup {
  private readonly logger = new Logger(CatalogueLookup.name);
  private readonly products = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly warehouses = new Set<string>();
  /** Concurrent checks of one code share one query (a cold instance's first flood). */
  private readonly warehouseChecks = new Map<string, Promise<void>>();
  private readonly unknownWarehouses = new Map<string, number>();
  private readonly ttlMs: number;

  constructor(
    private readonly productService: ProductService,
    config: AppConfig,
  ) {
    this.ttlMs = Math.max(config.catalogueCacheMs, 100);
  }

  /** Outside any transaction: make sure fresh entries exist for these skus and the warehouse. */
  async prefetch(skus: string[], warehouse: string): Promise<void> {
    const now = Date.now();
    const stale = skus.filter((s) => (this.products.get(s)?.at ?? 0) + this.ttlMs <= now);
    await Promise.all([this.load(stale), this.warehouses.has(warehouse) ? undefined : this.checkWarehouse(warehouse)]);
  }

  /**
   * Inside a try: the products (throws NOT_FOUND for an unknown sku or warehouse). Stale entries
   * are used as they are and refreshed in the background.
   */
  async forTry(skus: string[], warehouse: string): Promise<Map<string, ProductInfo>> {
    const now = Date.now();
    const missing = skus.filter((s) => !this.products.has(s));
    if (missing.length) await this.load(missing);
    const stale = skus.filter((s) => this.products.get(s)!.at + this.ttlMs <= now);
    if (stale.length) void this.load(stale).catch((err: unknown) => this.logger.warn({ err }, 'Product refresh failed'));
    if (!this.warehouses.has(warehouse)) await this.checkWarehouse(warehouse);
    const out = new Map<string, ProductInfo>();
    for (const sku of skus) {
      const info = this.products.get(sku)!.info;
      if (!info) throw DomainError.notFound(`Product ${sku}`, { sku });
      out.set(sku, info);
    }
    return out;
  }

  /**
   * For the gate: NOT_FOUND for an unknown warehouse. Known codes are remembered for good and
   * unknown ones for the cache interval, so a flood of requests costs at most one query per code.
   */
  async requireKnownWarehouse(code: string): Promise<void> {
    if (this.warehouses.has(code)) return;
    if ((this.unknownWarehouses.get(code) ?? 0) > Date.now()) throw DomainError.notFound(`Warehouse ${code}`, { warehouse: code });
    try {
      await this.checkWarehouse(code);
    } catch (err) {
      if (err instanceof DomainError) {
        // Bounded: a flood of invented codes must not grow memory without end.
        if (this.unknownWarehouses.size >= 10_000) this.unknownWarehouses.clear();
        this.unknownWarehouses.set(code, Date.now() + this.ttlMs);
      }
      throw err;
    }
  }

  /** Always asks the database: for admin operations, where a fresh 404 matters more than speed. */
  async requireRow(sku: string, warehouse: string): Promise<void> {
    await this.productService.requireProductInfo(sku);
    await this.checkWarehouse(warehouse);
  }

  private checkWarehouse(code: string): Promise<void> {
    let pending = this.warehouseChecks.get(code);
    if (!pending) {
      pending = this.productService
        .requireWarehouse(code)
        .then(() => {
          // Warehouses are never deleted, so a known one stays known.
          this.warehouses.add(code);
          this.unknownWarehouses.delete(code);
        })
        .finally(() => this.warehouseChecks.delete(code));
      this.warehouseChecks.set(code, pending);
    }
    return pending;
  }

  private async load(skus: string[]): Promise<void> {
    const todo = skus.filter((s) => !this.inFlight.has(s));
    if (todo.length) {
      const loading = this.productService.findProducts(todo).then((found) => {
        const at = Date.now();
        for (const sku of todo) this.products.set(sku, { info: found.get(sku) ?? null, at });
      });
      const settled = loading.finally(() => todo.forEach((s) => this.inFlight.delete(s)));
      for (const sku of todo) this.inFlight.set(sku, settled);
    }
    await Promise.all(skus.map((s) => this.inFlight.get(s)));
  }
}
