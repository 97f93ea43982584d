import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { RedisStatus } from '@app/core';
import { StockChangeFeed } from '@app/inventory';
import { TccNotices } from '@app/tcc';
import { ChangeBus } from './change-bus';

export interface AdminSink {
  send(kind: string, data: Record<string, unknown>): void;
}

interface SalesCount {
  sku: string;
  warehouse: string;
  sold: number;
  refused: number;
}

/**
 * What the admin console follows, gathered from the libs that decide it: units sold and lines
 * refused per sku per second (inventory's notices), low-stock alerts opening and resolving
 * (inventory), transactions flagged for an operator (tcc), and this instance's gate mode
 * (Redis used or MySQL-only). Every instance publishes its own through Redis, so a console on
 * one instance sees them all (each event names its `instance`).
 */
@Injectable()
export class AdminEvents implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly sinks = new Set<AdminSink>();
  private sales = new Map<string, SalesCount>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly bus: ChangeBus,
    private readonly feed: StockChangeFeed,
    private readonly tcc: TccNotices,
    private readonly redis: RedisStatus,
  ) {}

  onApplicationBootstrap(): void {
    this.bus.onAdmin((kind, data) => {
      for (const sink of this.sinks) sink.send(kind, data);
    });
    this.feed.onChange((c) => {
      if (c.cause === 'reserve') this.countOf(c.sku, c.warehouse).sold += c.qty ?? 0;
    });
    this.feed.onRefusal((r) => this.countOf(r.sku, r.warehouse).refused++);
    this.feed.onAlert((a) => this.bus.publishAdmin('alert', { sku: a.sku, warehouse: a.warehouse, change: a.change }));
    this.tcc.onFlagged((t) => this.bus.publishAdmin('tx', { ...t }));
    this.redis.onChange((up) =>
      this.bus.publishAdmin('gate', { mode: up ? 'redis' : 'mysql-only', redisUp: up, reason: this.redis.downReason }),
    );
    this.timer = setInterval(() => this.flushSales(), 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  add(sink: AdminSink): void {
    this.sinks.add(sink);
  }

  remove(sink: AdminSink): void {
    this.sinks.delete(sink);
  }

  /** The gate mode now, for a console that just connected. */
  currentGate(): Record<string, unknown> {
    const up = this.redis.isUp;
    return {
      mode: up ? 'redis' : 'mysql-only',
      redisUp: up,
      reason: this.redis.downReason,
      instance: this.bus.instanceId,
    };
  }

  private countOf(sku: string, warehouse: string): SalesCount {
    const key = `${warehouse.toLowerCase()}|${sku.toLowerCase()}`;
    let count = this.sales.get(key);
    if (!count) this.sales.set(key, (count = { sku, warehouse, sold: 0, refused: 0 }));
    return count;
  }

  private flushSales(): void {
    if (this.sales.size === 0) return;
    const second = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000).toISOString();
    const counts = [...this.sales.values()];
    this.sales = new Map();
    for (const c of counts) this.bus.publishAdmin('sales', { ...c, second });
  }
}
