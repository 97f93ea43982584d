import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig, createRedisClient, newId, REDIS, RedisNames, RedisStatus } from '@app/core';
import { StockChangeFeed } from '@app/inventory';
import { StockHub } from './stock-hub';

/** While Redis is down, followed rows are re-read this often (other instances' changes cannot reach us). */
const POLL_WHILE_DOWN_MS = 1000;
/** Changes gathered into one PUBLISH: at most one per this many ms. */
const PUBLISH_EVERY_MS = 5;
/** Rows kept for publishing while Redis is down; past this, one "read everything" is sent instead. */
const MAX_PENDING = 10_000;

interface ChangeMessage {
  from: string;
  /** [sku, warehouse, first notice ms] */
  rows: Array<[string, string, number]>;
  /** Too many to list (a long Redis outage): every followed row is to be read again. */
  all?: boolean;
}

type AdminListener = (kind: string, data: Record<string, unknown>) => void;

/**
 * Carries change notices between instances over Redis pub/sub (`<prefix>live-stock:changes`),
 * and admin events (`<prefix>live-stock:admin`). Only "row X changed" travels: each instance
 * reads the committed value itself, so nothing shown can run ahead of MySQL. With Redis down
 * each instance streams its own changes, polls its followed rows, and tells its clients so.
 */
@Injectable()
export class ChangeBus implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChangeBus.name);
  readonly instanceId = newId();
  private readonly changesChannel: string;
  private readonly adminChannel: string;
  private subscriber: Redis | null = null;
  private pending = new Map<string, [string, string, number]>();
  private overflow = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly adminListeners: AdminListener[] = [];

  constructor(
    private readonly hub: StockHub,
    private readonly feed: StockChangeFeed,
    private readonly status: RedisStatus,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    names: RedisNames,
  ) {
    this.changesChannel = names.channel('live-stock:changes');
    this.adminChannel = names.channel('live-stock:admin');
  }

  get crossInstance(): boolean {
    return this.status.isUp;
  }

  onApplicationBootstrap(): void {
    this.feed.onChange((change) => {
      const at = Date.now();
      this.hub.changed(change.sku, change.warehouse, at);
      this.enqueue(change.sku, change.warehouse, at);
    });
    this.status.onChange((up) => this.modeChanged(up));
    if (!this.status.isUp) this.startPolling();
    this.subscriber = createRedisClient(this.config, undefined, 'live-stock');
    // Subscribed on every (re)connect: the client has no offline queue, so a subscribe sent
    // while connecting fails; after a gap, followed rows are read again (changes were missed).
    this.subscriber.on('ready', () => {
      this.subscriber?.subscribe(this.changesChannel, this.adminChannel).catch((err: unknown) => {
        this.logger.warn({ err }, 'Live stock channel subscription failed; retried on reconnect');
      });
      this.hub.changedAll();
    });
    this.subscriber.on('message', (channel: string, message: string) => this.received(channel, message));
  }

  onApplicationShutdown(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.subscriber?.disconnect();
  }

  /** Admin events from every instance (this one's directly, others' through Redis). */
  onAdmin(listener: AdminListener): void {
    this.adminListeners.push(listener);
  }

  publishAdmin(kind: string, data: Record<string, unknown>): void {
    const event = { ...data, instance: this.instanceId };
    for (const listener of this.adminListeners) listener(kind, event);
    if (!this.status.isUp) return;
    this.redis
      .publish(this.adminChannel, JSON.stringify({ from: this.instanceId, kind, data: event }))
      .catch(() => undefined);
  }

  private enqueue(sku: string, warehouse: string, at: number): void {
    const key = `${warehouse}|${sku}`;
    if (this.pending.size >= MAX_PENDING) this.overflow = true;
    else if (!this.pending.has(key)) this.pending.set(key, [sku, warehouse, at]);
    this.flushTimer ??= setTimeout(() => this.flush(), PUBLISH_EVERY_MS);
  }

  /**
   * While Redis is down the changes stay pending (other instances cannot hear them now, and
   * may already be back on Redis, no longer polling): they go out as soon as it is up again.
   */
  private flush(): void {
    this.flushTimer = null;
    if (!this.pending.size || !this.status.isUp) return;
    const all = this.overflow;
    const rows = all ? [] : [...this.pending.values()];
    this.pending = new Map();
    this.overflow = false;
    const message: ChangeMessage = { from: this.instanceId, rows, all: all || undefined };
    this.redis.publish(this.changesChannel, JSON.stringify(message)).catch((err: unknown) => {
      this.logger.warn({ err }, 'Publishing live stock changes failed; sent again with the next change');
      this.overflow ||= all;
      for (const row of rows) this.pending.set(`${row[1]}|${row[0]}`, row);
    });
  }

  private received(channel: string, raw: string): void {
    try {
      const message = JSON.parse(raw) as { from: string };
      if (message.from === this.instanceId) return;
      if (channel === this.changesChannel) {
        const changes = message as ChangeMessage;
        if (changes.all) this.hub.changedAll();
        for (const [sku, warehouse, at] of changes.rows) this.hub.changed(sku, warehouse, at);
      } else if (channel === this.adminChannel) {
        const { kind, data } = message as unknown as { kind: string; data: Record<string, unknown> };
        for (const listener of this.adminListeners) listener(kind, data);
      }
    } catch (err) {
      this.logger.warn({ err }, 'Ignoring a malformed live stock message');
    }
  }

  private modeChanged(up: boolean): void {
    if (up) {
      this.flush();
      if (this.pollTimer) clearInterval(this.pollTimer);
      this.pollTimer = null;
      this.hub.broadcast({ type: 'cross-instance' });
      this.hub.changedAll();
    } else {
      this.hub.broadcast({ type: 'local-only', reason: this.status.downReason });
      this.startPolling();
    }
  }

  private startPolling(): void {
    this.pollTimer ??= setInterval(() => this.hub.changedAll(), POLL_WHILE_DOWN_MS);
    this.pollTimer.unref();
  }
}
