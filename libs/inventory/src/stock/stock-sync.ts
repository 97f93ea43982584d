import { Injectable } from '@nestjs/common';
import type { RowKey } from '../inventory.types';
import { SoldOutFlags } from '../gate/sold-out-flags';
import { Reconciler } from '../reconcile/reconciler';

/** After a MySQL stock change commits: Redis learns the rows' new availability, sold-out flags drop. */
@Injectable()
export class StockSync {
  constructor(
    private readonly reconciler: Reconciler,
    private readonly flags: SoldOutFlags,
  ) {}

  async afterCommit(keys: RowKey[], options: { unitsAdded: boolean }): Promise<void> {
    for (const key of keys) await this.reconciler.syncRow(key);
    if (options.unitsAdded) await this.flags.clear(keys);
  }
}
