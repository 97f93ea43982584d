import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig, createRedisClient, InjectRedis, RedisNames } from '@app/core';
import type { RowKey } from '../inventory.types';

const CHANNEL = 'inventory:sold-out-cleared';

/** Lower-cased like the Redis keys: one stock row, one flag, however it is spelled. */
function flagKey(key: RowKey): string {
  return `${key.sku}|${key.warehouse}`.toLowerCase();
}

/**
 * Level 1 of the gate: "Redis said none left" remembered in process memory for a short while,
 * so a flash-sale flood of refusals costs no round trip at all. Any instance that gives units
 * back (release, inbound, restock, reconciliation) publishes the row and every instance drops
 * its flag. A missed message only delays a sale by the flag's TTL; it never oversells.
 */
@Injectable()
export class SoldOutFlags implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SoldOutFlags.name);
  private readonly flags = new Map<string, number>();
  private subscriber?: Redis;
  private readonly ttlMs: number;

  constructor(
    private readonly config: AppConfig,
    private readonly names: RedisNames,
    @InjectRedis() private readonly redis: Redis,
  ) {
    this.ttlMs = config.inventory.soldOutFlagTtlMs;
  }

  onModuleInit(): void {
    // Subscribing needs a connection of its own (a subscribed connection runs no other command).
    const sub = createRedisClient(this.config, undefined, 'sold-out-subscriber');
    const channel = this.names.channel(CHANNEL);
    sub.on('ready', () => {
      sub
        .subscribe(channel)
        .catch((err: unknown) => this.logger.warn({ err }, 'Subscribing to sold-out clears failed'));
    });
    sub.on('message', (_channel: string, message: string) => this.flags.delete(message));
    this.subscriber = sub;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  isSoldOut(key: RowKey): boolean {
    const k = flagKey(key);
    const until = this.flags.get(k);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.flags.delete(k);
    return false;
  }

  markSoldOut(key: RowKey): void {
    if (this.ttlMs > 0) this.flags.set(flagKey(key), Date.now() + this.ttlMs);
  }

  /** Units came back: drop the flag here and on every other instance. */
  async clear(keys: RowKey[]): Promise<void> {
    for (const key of keys) {
      const k = flagKey(key);
      this.flags.delete(k);
      await this.redis.publish(this.names.channel(CHANNEL), k).catch(() => undefined);
    }
  }
}
