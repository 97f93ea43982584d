import { ulid } from 'ulid';
import { deleteRedisKeys, dropDatabase, REDIS_URL } from '../../scripts/scratch-db';

// Shared with the soak script, which also runs the server on a database of its own.
export { deleteRedisKeys, dropDatabase };

export const ADMIN_KEY = 'dev-admin-key';
export const STOREFRONT_KEY = 'dev-storefront-key';
export const WEBHOOK_SECRET = 'dev-webhook-secret';

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
