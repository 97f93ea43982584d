import type { DataSourceOptions } from 'typeorm';
import type { DbConfig } from '../config/app-config';
import { mysqlEndpoint } from './mysql-endpoint';
import type { PoolLimits } from './pool-guard';

export type MigrationClass = new () => unknown;

/** One place that says how we talk to MySQL; used by the app and by ormconfig.ts. */
export function dataSourceOptions(db: DbConfig, migrations: MigrationClass[]): DataSourceOptions {
  return {
    type: 'mysql',
    ...mysqlEndpoint(db),
    username: db.user,
    password: db.password,
    database: db.name,
    // Times are stored and compared in UTC (UTC_TIMESTAMP(3) in SQL, 'Z' in the driver).
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    charset: 'utf8mb4_unicode_ci',
    synchronize: false,
    migrationsRun: false,
    migrations: migrations as DataSourceOptions['migrations'],
    migrationsTableName: 'schema_migrations',
    // multipleStatements: a phase's fixed rows (tx, branches, fences) go in one round trip.
    // Every value still travels as a `?` placeholder; no SQL is built from input.
    // The wait queue is bounded (overload is shed, not queued); the acquire deadline and the
    // statement timeout are added by guardPool, once migrations (which may wait on a lock) ran.
    extra: {
      connectionLimit: db.poolSize,
      waitForConnections: true,
      queueLimit: db.queueLimit,
      multipleStatements: true,
      // TypeORM sends text queries, never prepared statements; mysql2 still sizes each
      // connection's statement cache for 16,000 (four arrays, about 512 KB per connection).
      maxPreparedStatements: 16,
    },
    connectTimeout: db.connectTimeoutMs,
    poolSize: db.poolSize,
    // Ours, not TypeORM's (it ignores the key): read back by poolLimitsOf for guardPool.
    poolLimits: { acquireTimeoutMs: db.acquireTimeoutMs, queryTimeoutMs: db.queryTimeoutMs },
  } as unknown as DataSourceOptions;
}

/** The acquire deadline and statement timeout that dataSourceOptions put beside TypeORM's options. */
export function poolLimitsOf(options: DataSourceOptions): PoolLimits {
  return (options as DataSourceOptions & { poolLimits: PoolLimits }).poolLimits;
}
