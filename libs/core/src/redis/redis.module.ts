import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { gauge } from '../metrics/metrics';

export const REDIS = Symbol('REDIS');
export const InjectRedis = () => Inject(REDIS);

const redisUp = gauge({ name: 'redis_up', help: '1 when the Redis connection is ready, 0 otherwise' });

/**
 * Tracks whether Redis answers, so callers can pick the MySQL-only path without waiting
 * on a dead connection. Logs once per change of state, never per request.
 */
@Injectable()
export class RedisStatus {
  private readonly logger = new Logger('Redis');
  private up = false;
  private readonly listeners: Array<(up: boolean) => void> = [];

  get isUp(): boolean {
    return this.up;
  }

  onChange(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
  }

  set(up: boolean, reason?: string): void {
    if (this.up === up) return;
    this.up = up;
    redisUp.set(up ? 1 : 0);
    if (up) this.logger.log('Redis is up: fast path enabled');
    else this.logger.warn(`Redis is down: falling back to MySQL-only path${reason ? ` (${reason})` : ''}`);
    for (const listener of this.listeners) listener(up);
  }
}

/** Prefix for keys and pub/sub channels: ioredis prefixes keys itself, channels we prefix. */
@Injectable()
export class RedisNames {
  constructor(private readonly config: AppConfig) {}
  channel(name: string): string {
    return `${this.config.redis.keyPrefix}${name}`;
  }
}

export function createRedisClient(config: AppConfig, status?: RedisStatus, name = 'main'): Redis {
  const client = new Redis(config.redis.url, {
    keyPrefix: config.redis.keyPrefix || undefined,
    enableAutoPipelining: true,
    // Fail fast while disconnected: callers fall back to MySQL instead of queueing.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    connectionName: `inventory-${name}`,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  });
  if (status) {
    client.on('ready', () => status.set(true));
    client.on('end', () => status.set(false, 'connection ended'));
    client.on('close', () => status.set(false, 'connection closed'));
  }
  // Errors are reflected in RedisStatus; ioredis would otherwise print each reconnect attempt.
  client.on('error', () => undefined);
  return client;
}

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    // quit() lets queued replies arrive; a client that is not connected just stops reconnecting.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}

@Global()
@Module({
  providers: [
    RedisStatus,
    RedisNames,
    {
      provide: REDIS,
      inject: [AppConfig, RedisStatus],
      useFactory: async (config: AppConfig, status: RedisStatus) => {
        const client = createRedisClient(config, status);
        // Wait briefly for the first connection; start anyway (degraded) if Redis is away.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2000);
          client.once('ready', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        return client;
      },
    },
    RedisLifecycle,
  ],
  exports: [REDIS, RedisStatus, RedisNames],
})
export class RedisModule {}
