import { Injectable, OnModuleInit } from '@nestjs/common';
import { StockAvailability, StockAvailabilitySource } from '@app/product';
import { StockRepository } from '../repositories/stock.repository';

/** Plugs inventory into the catalogue: `available` of many skus in one query. */
@Injectable()
export class StockAvailabilityReader implements StockAvailabilitySource, OnModuleInit {
  constructor(
    private readonly stock: StockRepository,
    private readonly availability: StockAvailability,
  ) {}

  onModuleInit(): void {
    this.availability.register(this);
  }

  availableOf(skus: string[], warehouse: string): Promise<Map<string, number>> {
    return this.stock.availableOf(skus, warehouse);
  }
}
