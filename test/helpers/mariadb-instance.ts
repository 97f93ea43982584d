import { ChildProcess, execFile, spawn } from 'child_process';
import { mkdtemp, rm } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { createConnection } from 'mysql2/promise';
import { freePort, killAndWait } from './server-process';

const MARIADBD = '/usr/sbin/mariadbd';

/**
 * A MariaDB server of the test's own (own data directory, port and socket), so a test may kill
 * and restart it without touching the shared one. Root over TCP with no password.
 */
export class MariaDbInstance {
  private child?: ChildProcess;
  private output = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<MariaDbInstance> {
    const dir = await mkdtemp(join(tmpdir(), 'outage-mariadb-'));
    await promisify(execFile)('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...asRootArgs(),
    ]);
    return new MariaDbInstance(dir, await freePort());
  }

  /** Starts the server on the data directory (again, after a kill) and waits until it answers. */
  async start(timeoutMs = 30000): Promise<void> {
    this.child = spawn(
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(this.dir, 'mysqld.sock')}`,
        `--pid-file=${join(this.dir, 'mysqld.pid')}`,
        '--skip-log-bin',
        '--innodb-buffer-pool-size=64M',
        '--max-connections=500',
        ...asRootArgs(),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
    for (const giveUpAt = Date.now() + timeoutMs; ;) {
      if (this.child.exitCode !== null) throw new Error(`mariadbd exited early:\n${this.output.slice(-3000)}`);
      try {
        const c = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root', password: '' });
        await c.end();
        return;
      } catch (err) {
        if (Date.now() > giveUpAt)
          throw new Error(`mariadbd did not answer within ${timeoutMs}ms: ${String(err)}\n${this.output.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** SIGKILL: no shutdown, connections drop, InnoDB recovers on the next start. */
  kill(): Promise<void> {
    return killAndWait(this.child);
  }

  /** SIGSTOP / SIGCONT: a hung server; connections stay open and nothing answers. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  async destroy(): Promise<void> {
    this.thaw();
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  log(): string {
    return this.output;
  }
}

/** mariadbd refuses to run as root unless told to; as another user it runs as that user. */
function asRootArgs(): string[] {
  return process.getuid?.() === 0 ? ['--user=root'] : [];
}
