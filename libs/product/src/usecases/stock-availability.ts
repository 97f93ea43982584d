import { Injectable } from '@nestjs/common';

/** What the catalogue needs from inventory, without importing it (inventory registers itself). */
export interface StockAvailabilitySource {
  availableOf(skus: string[], warehouse: string): Promise<Map<string, number>>;
}

/**
 * A port: the inventory module plugs its reader in at start-up. Until it does (or for a
 * sku with no stock row) the catalogue shows `available: 0`.
 */
@Injectable()
export class StockAvailability {
  private source?: StockAvailabilitySource;

  register(source: StockAvailabilitySource): void {
    this.source = source;
  }

  async availableOf(skus: string[], warehouse: string): Promise<Map<string, number>> {
    if (!this.source || skus.length === 0) return new Map();
    return this.source.availableOf(skus, warehouse);
  }
}
