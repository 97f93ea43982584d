import { mysqlEndpoint } from './mysql-endpoint';

describe('mysqlEndpoint', () => {
  const at =
    (...paths: string[]) =>
    (path: string) =>
      paths.includes(path);

  it('uses DB_SOCKET_PATH whatever the host says', () => {
    expect(mysqlEndpoint({ host: 'db.internal', port: 3307, socketPath: '/srv/my.sock' }, at())).toEqual({
      socketPath: '/srv/my.sock',
    });
  });

  it('reads localhost on the default port as the local server socket, first standard path found', () => {
    expect(
      mysqlEndpoint({ host: 'localhost', port: 3306 }, at('/var/run/mysqld/mysqld.sock', '/tmp/mysql.sock')),
    ).toEqual({
      socketPath: '/var/run/mysqld/mysqld.sock',
    });
  });

  it('falls back to TCP on 127.0.0.1 when no socket is there, or on another port', () => {
    expect(mysqlEndpoint({ host: 'localhost', port: 3306 }, at())).toEqual({ host: '127.0.0.1', port: 3306 });
    expect(mysqlEndpoint({ host: 'localhost', port: 3310 }, at('/run/mysqld/mysqld.sock'))).toEqual({
      host: '127.0.0.1',
      port: 3310,
    });
  });

  it('keeps any other host on TCP, 127.0.0.1 included', () => {
    const sockets = at('/run/mysqld/mysqld.sock');
    expect(mysqlEndpoint({ host: '127.0.0.1', port: 3306 }, sockets)).toEqual({ host: '127.0.0.1', port: 3306 });
    expect(mysqlEndpoint({ host: 'mysql', port: 3306 }, sockets)).toEqual({ host: 'mysql', port: 3306 });
  });
});
