import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { ulid } from 'ulid';

export const ADMIN_KEY = 'dev-admin-key';
export const STOREFRONT_KEY = 'dev-storefront-key';
export const WEBHOOK_SECRET = 'dev-webhook-secret';

const DB = {
  host: process.env.DB_HOST ?? '127.0.0.1',
  port: Number(process.env.DB_PORT ?? 3306),
  user: process.env.DB_USER ?? 'root',
  password: process.env.DB_PASSWORD ?? '',
};
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export interface TestEnv {
  /** Environment overrides for the app under test. */
  env: Record<string, string>;
  dbName: string;
  redisPrefix: string;
  /** Drops the database and deletes the run's Redis keys. */
  cleanup(): Promise<void>;
}

/**
 * A database and Redis key prefix of its own for one test file, so parallel runs and
 * files never see each other's rows or keys.
 */
export function newTestEnv(overrides: Record<string, string> = {}): TestEnv {
  const id = ulid().toLowerCase();
  const dbName = `t_${id}`;
  const redisPrefix = `t:${id}:`;
  return {
    dbName,
    redisPrefix,
    env: {
      DB_NAME: dbName,
      REDIS_KEY_PREFIX: redisPrefix,
      REDIS_URL,
      JOBS_ENABLED: 'false',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      ...overrides,
    },
    cleanup: async () => {
      await dropDatabase(dbName);
      await deleteRedisKeys(redisPrefix);
    },
  };
}

export async function dropDatabase(name: string): Promise<void> {
  const connection = await createConnection(DB);
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await connection.end();
  }
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    /* Redis may be stopped on purpose by the test */
  } finally {
    redis.disconnect();
  }
}
