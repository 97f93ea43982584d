import { ChildProcess, spawn } from 'child_process';
import Redis from 'ioredis';
import { freePort, killAndWait } from './server-process';

/**
 * A throwaway redis-server of the test's own (no persistence), on a free port, that the test
 * may kill, restart, freeze (SIGSTOP) and thaw (SIGCONT) without touching the shared Redis.
 */
export class ThrowawayRedis {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<ThrowawayRedis> {
    const server = new ThrowawayRedis(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Starts (again) on the same port and waits until it answers PING. */
  async start(timeoutMs = 10000): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--logfile',
      '',
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    let spawnError: Error | undefined;
    child.on('error', (err) => (spawnError = err));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (spawnError) throw new Error(`cannot run redis-server (it must be on PATH): ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`redis-server on ${this.port} exited at start`);
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not answer within ${timeoutMs}ms`);
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        probe.disconnect();
      }
    }
  }

  /** SIGKILL: connections drop at once, as when the host goes away. */
  kill(): Promise<void> {
    return killAndWait(this.child);
  }

  /** SIGSTOP: connections stay open but nothing answers. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }
}
