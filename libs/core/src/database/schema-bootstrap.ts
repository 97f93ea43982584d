import { Logger } from '@nestjs/common';
import { createConnection } from 'mysql2/promise';
import type { DataSource } from 'typeorm';

const logger = new Logger('Database');

/** The connection fields of the options `dataSourceOptions` made: where the server is, who we are, which database. */
export interface DatabaseAddress {
  host?: string;
  port?: number;
  socketPath?: string;
  username?: string;
  password?: string;
  database?: string;
}

/** Creates the database if it is missing, so a fresh machine needs no manual step. */
export async function ensureDatabaseExists(db: DatabaseAddress): Promise<void> {
  const connection = await createConnection({
    host: db.host,
    port: db.port,
    socketPath: db.socketPath,
    user: db.username,
    password: db.password,
  });
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${String(db.database)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
}

/**
 * Runs pending migrations under a MySQL named lock, so several instances starting at
 * once apply each migration exactly once.
 */
export async function runMigrationsLocked(dataSource: DataSource, lockTimeoutSec = 120): Promise<void> {
  const runner = dataSource.createQueryRunner();
  const lockName = `migrations:${String(dataSource.options.database)}`;
  try {
    const [row] = (await runner.query('SELECT GET_LOCK(?, ?) AS got', [lockName, lockTimeoutSec])) as Array<{
      got: number | string | null;
    }>;
    if (Number(row.got) !== 1) throw new Error(`Could not take migration lock ${lockName} within ${lockTimeoutSec}s`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length) logger.log(`applied migrations: ${applied.map((m) => m.name).join(', ')}`);
  } finally {
    await runner.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => undefined);
    await runner.release();
  }
}
