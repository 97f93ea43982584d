import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/core';
import { StockLevels } from '@app/inventory';
import { liveNoticeToPushSeconds, liveReads } from '../live-stock.metrics';
import { LiveNotice, rowId, StockState, StockSubscriber } from './stock-state';

/**
 * How long a push may hold the event loop before it lets other work run. One socket write costs
 * about 10-16 µs here (mostly the kernel's), so 5,000 clients are 50-80 ms of writes: in 500-client
 * slices the checkouts run between them stretched a push to twice its CPU time, and every client
 * waited for it (commit→client p99 260-300 ms); 30 ms slices keep a checkout's wait bounded.
 */
const FANOUT_SLICE_MS = 30;

/** A row someone follows: its subscribers (with the id of the last state each got) and read state. */
interface Row {
  sku: string;
  warehouse: string;
  subs: Map<StockSubscriber, number>;
  value: StockState | null;
  /** First change notice not yet covered by a read (ms epoch), or null. */
  dirtySince: number | null;
  reading: boolean;
  timer: NodeJS.Timeout | null;
  lastReadAt: number;
  /** How long the last push to every subscriber took, ms. */
  lastPushMs: number;
}

/**
 * Who follows which row, and the one read per coalescing tick that feeds them all.
 *
 * A change notice only marks the row dirty (no I/O on the path that committed). The row is then
 * read through inventory's own API at most `LIVE_SKU_EVENTS_PER_SEC` times a second, one read
 * in flight at a time, so the values a client sees follow MySQL's order; a notice that arrives
 * during a read schedules one more, so the last read of a burst starts after its last commit
 * and the last value pushed is the committed one. Rows nobody follows are not tracked at all:
 * their notices cost one map lookup.
 */
@Injectable()
export class StockHub implements OnApplicationShutdown {
  private readonly logger = new Logger(StockHub.name);
  private readonly rows = new Map<string, Row>();
  private readonly minGapMs: number;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly levels: StockLevels,
    config: AppConfig,
  ) {
    this.minGapMs = Math.floor(1000 / config.live.skuEventsPerSec);
  }

  /** Follows a row: the subscriber gets its current state at once (read first if unknown). */
  subscribe(sub: StockSubscriber, sku: string, warehouse: string): void {
    const id = rowId(sku, warehouse);
    let row = this.rows.get(id);
    if (!row) {
      row = {
        sku,
        warehouse,
        subs: new Map(),
        value: null,
        dirtySince: null,
        reading: false,
        timer: null,
        lastReadAt: 0,
        lastPushMs: 0,
      };
      this.rows.set(id, row);
    }
    row.subs.set(sub, 0);
    if (row.value) this.deliverTo(row, sub, row.value);
    else if (!row.reading) this.readNow(row);
  }

  unsubscribe(sub: StockSubscriber, sku: string, warehouse: string): void {
    const id = rowId(sku, warehouse);
    const row = this.rows.get(id);
    if (!row || !row.subs.delete(sub) || row.subs.size > 0) return;
    if (row.timer) clearTimeout(row.timer);
    this.rows.delete(id);
  }

  /** A committed change of the row (here or on another instance). O(1) unless someone follows it. */
  changed(sku: string, warehouse: string, at = Date.now()): void {
    const row = this.rows.get(rowId(sku, warehouse));
    if (!row) return;
    row.dirtySince ??= at;
    this.schedule(row);
  }

  /** Every followed row is read again (Redis came back, or a poll while it is down). */
  changedAll(): void {
    const now = Date.now();
    for (const row of this.rows.values()) {
      row.dirtySince ??= now;
      this.schedule(row);
    }
  }

  /** A notice to every subscriber of any row. */
  broadcast(notice: LiveNotice): void {
    const seen = new Set<StockSubscriber>();
    for (const row of this.rows.values()) {
      for (const sub of row.subs.keys()) {
        if (seen.has(sub)) continue;
        seen.add(sub);
        sub.notice(notice);
      }
    }
  }

  get followedRows(): number {
    return this.rows.size;
  }

  onApplicationShutdown(): void {
    this.closed = true;
    for (const row of this.rows.values()) if (row.timer) clearTimeout(row.timer);
    this.rows.clear();
  }

  private schedule(row: Row): void {
    if (row.reading || row.timer || this.closed) return;
    // A push to thousands of clients can take longer than the rate's gap: the next read then
    // waits as long as the last push took, so pushes of one row never run back to back.
    const gap = Math.max(this.minGapMs, row.lastPushMs);
    const wait = Math.max(0, row.lastReadAt + gap - Date.now());
    row.timer = setTimeout(() => {
      row.timer = null;
      this.readNow(row);
    }, wait);
  }

  private readNow(row: Row): void {
    if (row.timer) clearTimeout(row.timer);
    row.timer = null;
    void this.read(row);
  }

  private async read(row: Row): Promise<void> {
    row.reading = true;
    const since = row.dirtySince ?? Date.now();
    row.dirtySince = null;
    row.lastReadAt = Date.now();
    try {
      liveReads.inc();
      const [level] = await this.levels.availableOf([row.sku], row.warehouse);
      await this.publish(row, level.available, since);
    } catch (err) {
      this.logger.warn({ err, sku: row.sku, warehouse: row.warehouse }, 'Live stock read failed; trying again');
      row.dirtySince ??= since;
    } finally {
      row.reading = false;
    }
    if (row.dirtySince !== null && this.rows.get(rowId(row.sku, row.warehouse)) === row) this.schedule(row);
  }

  /**
   * Pushes the value to every subscriber that does not have it, in slices: with thousands of
   * clients one push would otherwise hold the event loop for milliseconds, and checkouts wait.
   * The row's next read waits for the last slice, so pushes never overtake each other.
   */
  private async publish(row: Row, available: number, since: number): Promise<void> {
    if (!row.value || row.value.available !== available) {
      row.value = {
        id: this.nextId++,
        sku: row.sku,
        warehouse: row.warehouse,
        available,
        soldOut: available <= 0,
        changedAt: since,
      };
      liveNoticeToPushSeconds.observe((Date.now() - since) / 1000);
    }
    const state = row.value;
    const started = Date.now();
    let sliceStarted = started;
    const subs = [...row.subs.keys()];
    for (let i = 0; i < subs.length; i++) {
      if (i % 64 === 63 && Date.now() - sliceStarted >= FANOUT_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStarted = Date.now();
      }
      if (row.subs.has(subs[i])) this.deliverTo(row, subs[i], state);
    }
    row.lastPushMs = Date.now() - started;
  }

  private deliverTo(row: Row, sub: StockSubscriber, state: StockState): void {
    if (row.subs.get(sub) === state.id) return;
    row.subs.set(sub, state.id);
    sub.deliver(state);
  }
}
