import { Global, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { RedisPinger } from './redis-pinger';
import { RedisStatus } from './redis-status';

export { RedisStatus } from './redis-status';

export const REDIS = Symbol('REDIS');
export const InjectRedis = () => Inject(REDIS);

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
    // The connection decides at once; slowness is left to the pinger's hysteresis.
    client.on('ready', () => status.connectionReady());
    client.on('end', () => status.connectionLost('connection ended'));
    client.on('close', () => status.connectionLost('connection closed'));
    client.on('error', (err: Error) => status.connectionLost(err.message));
  } else {
    // Without a status to reflect them, ioredis would print each reconnect attempt.
    client.on('error', () => undefined);
  }
  return client;
}

/** Starts the background ping once the app is up; on shutdown stops it, then closes the client. */
@Injectable()
class RedisLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pinger: RedisPinger;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    status: RedisStatus,
    config: AppConfig,
  ) {
    this.pinger = new RedisPinger(redis, (ms, error) => status.pinged(ms, error), {
      intervalMs: config.redis.pingIntervalMs,
      slowPingMs: config.redis.pingSlowMs,
    });
  }

  onApplicationBootstrap(): void {
    this.pinger.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.pinger.stop();
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
