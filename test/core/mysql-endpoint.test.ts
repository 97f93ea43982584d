import { existsSync } from 'fs';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../helpers/test-app';

/** The server's own view of how the app's pool reached it: a socket client shows as plain `localhost`. */
async function transportOf(t: TestApp): Promise<'socket' | 'tcp'> {
  const [row] = await t.app
    .get(DataSource)
    .query('SELECT host FROM information_schema.processlist WHERE id = CONNECTION_ID()');
  return /:\d+$/.test(String(row.host)) ? 'tcp' : 'socket';
}

describe('how the pool reaches MySQL (DB_HOST, DB_SOCKET_PATH)', () => {
  const socket = ['/run/mysqld/mysqld.sock', '/var/run/mysqld/mysqld.sock', '/tmp/mysql.sock'].find((p) =>
    existsSync(p),
  );

  it('by default (localhost) through the local server socket when there is one', async () => {
    const t = await startTestApp();
    try {
      expect(await transportOf(t)).toBe(socket ? 'socket' : 'tcp');
    } finally {
      await t.close();
    }
  });

  it('over TCP when DB_HOST is 127.0.0.1', async () => {
    const t = await startTestApp({ env: { DB_HOST: '127.0.0.1' } });
    try {
      expect(await transportOf(t)).toBe('tcp');
    } finally {
      await t.close();
    }
  });
});
