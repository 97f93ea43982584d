import { Injectable, OnModuleInit } from '@nestjs/common';
import { IdempotencyEpoch, idFloorAt, UsedKey, UsedKeySource, userScope } from '@app/core';
import { OrderRepository } from '../../repositories/order.repository';

const PAGE_SIZE = 1000;

/**
 * The Idempotency-Keys checkouts used. A checkout's durable guard is its order's unique
 * (user, key), not an idempotency record in MySQL, so when Redis loses its records this is
 * where they are learned again (IdempotencyEpoch's rebuild).
 */
@Injectable()
export class CheckoutKeys implements UsedKeySource, OnModuleInit {
  constructor(
    private readonly orders: OrderRepository,
    private readonly epoch: IdempotencyEpoch,
  ) {}

  onModuleInit(): void {
    this.epoch.addSource(this);
  }

  async forEachPage(since: Date, onPage: (keys: UsedKey[]) => Promise<void>): Promise<void> {
    let after = idFloorAt(since.getTime()); // order ids sort by creation time
    for (;;) {
      const page = await this.orders.checkoutKeysAfter(after, PAGE_SIZE);
      if (!page.length) return;
      await onPage(page.map((o) => ({ scope: userScope(o.userId), key: o.idempotencyKey, usedAt: o.createdAt })));
      after = page[page.length - 1].orderId;
    }
  }
}
