import { Injectable, Logger } from '@nestjs/common';
import type { RowKey } from '../inventory.types';

/** What moved a row's availability (or, for `refused`, what did not). */
export type StockChangeCause = 'reserve' | 'release' | 'commit' | 'restock' | 'admin' | 'reconcile';

export interface StockChange extends RowKey {
  cause: StockChangeCause;
  /** Units, where the change knows them (a reserve: the units sold). */
  qty?: number;
}

export interface StockRefusal extends RowKey {
  qty: number;
}

export interface AlertNotice extends RowKey {
  change: 'OPENED' | 'RESOLVED';
}

type Listener<T> = (event: T) => void;

/**
 * Inventory's after-commit notices, for whoever wants to follow stock without knowing how it
 * is kept (live streams, consoles). Emitting is synchronous and does no I/O: a listener must
 * only note the event (mark a row dirty, add to a counter) and do its work later, so the
 * checkout path pays one function call per listener. A listener that throws is logged and
 * ignored: a notice must never fail the operation that committed.
 */
@Injectable()
export class StockChangeFeed {
  private readonly logger = new Logger(StockChangeFeed.name);
  private readonly changeListeners: Array<Listener<StockChange>> = [];
  private readonly refusalListeners: Array<Listener<StockRefusal>> = [];
  private readonly alertListeners: Array<Listener<AlertNotice>> = [];

  /** A row's availability may have changed; the change is committed. */
  onChange(listener: Listener<StockChange>): void {
    this.changeListeners.push(listener);
  }

  /** A checkout line was refused for lack of stock (at any level of the gate). */
  onRefusal(listener: Listener<StockRefusal>): void {
    this.refusalListeners.push(listener);
  }

  /** A low-stock alert opened or resolved (committed). */
  onAlert(listener: Listener<AlertNotice>): void {
    this.alertListeners.push(listener);
  }

  changed(keys: RowKey[], cause: StockChangeCause, qtyOf?: (key: RowKey) => number | undefined): void {
    if (this.changeListeners.length === 0) return;
    for (const key of keys)
      this.notify(this.changeListeners, { sku: key.sku, warehouse: key.warehouse, cause, qty: qtyOf?.(key) });
  }

  refused(key: RowKey, qty: number): void {
    if (this.refusalListeners.length)
      this.notify(this.refusalListeners, { sku: key.sku, warehouse: key.warehouse, qty });
  }

  alert(notice: AlertNotice): void {
    if (this.alertListeners.length) this.notify(this.alertListeners, notice);
  }

  private notify<T>(listeners: Array<Listener<T>>, event: T): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.warn({ err }, 'A stock notice listener failed; the change itself is committed');
      }
    }
  }
}
