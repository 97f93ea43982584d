import { Injectable } from '@nestjs/common';
import { StockChangeCause, StockChangeFeed } from '../alerts/stock-change-feed';
import { SoldOutFlags } from '../gate/sold-out-flags';
import type { RowKey } from '../inventory.types';
import { Reconciler } from './reconciler';

/**
 * After a MySQL stock change commits: followers are told (StockChangeFeed), Redis learns the
 * rows' new availability, sold-out flags drop.
 */
@Injectable()
export class StockSync {
  constructor(
    private readonly reconciler: Reconciler,
    private readonly flags: SoldOutFlags,
    private readonly feed: StockChangeFeed,
  ) {}

  /** `cause`: what changed the rows, for the stock notices (admin operations by default). */
  async afterCommit(keys: RowKey[], options: { unitsAdded: boolean; cause?: StockChangeCause }): Promise<void> {
    this.feed.changed(keys, options.cause ?? 'admin');
    for (const key of keys) await this.reconciler.syncRow(key);
    if (options.unitsAdded) await this.flags.clear(keys);
  }
}
