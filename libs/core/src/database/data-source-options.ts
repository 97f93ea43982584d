import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';

export type MigrationClass = new () => unknown;

/** One place that says how we talk to MySQL; used by the app and by ormconfig.ts. */
export function dataSourceOptions(db: AppConfig['db'], migrations: MigrationClass[]): DataSourceOptions {
  return {
    type: 'mysql',
    host: db.host,
    port: db.port,
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
    extra: { connectionLimit: db.poolSize, waitForConnections: true, queueLimit: 0, multipleStatements: true },
    poolSize: db.poolSize,
  } as DataSourceOptions;
}
