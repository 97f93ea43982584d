import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from './apps/api/src/migrations';
import { validateEnvironment } from './config/environment';
import { dataSourceOptions } from './libs/core/src/database/data-source-options';

/**
 * DataSource for the TypeORM CLI (`npm run migration:run`). The service applies the same
 * migrations itself at start-up, under a lock; this is for operators who want to do it first.
 */
const env = validateEnvironment(process.env);
export default new DataSource(
  dataSourceOptions(
    {
      host: env.DB_HOST,
      port: env.DB_PORT,
      socketPath: env.DB_SOCKET_PATH,
      user: env.DB_USER,
      password: env.DB_PASSWORD,
      name: env.DB_NAME,
      poolSize: 2,
      queueLimit: env.DB_POOL_QUEUE_LIMIT,
      acquireTimeoutMs: env.DB_ACQUIRE_TIMEOUT_MS,
      connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: env.DB_QUERY_TIMEOUT_MS,
    },
    ALL_MIGRATIONS,
  ),
);
