import { readFileSync } from 'fs';
import { ServerProcess, startBuiltServer } from '../helpers/server-process';
import { newTestEnv, TestEnv } from '../helpers/test-env';
import { api, SseClient, until, untilAsync, WsClient } from './live-clients';

const SKUS = Array.from({ length: 50 }, (_, i) => `SLOW-${String(i).padStart(2, '0')}`);
const CAP_BYTES = 64 * 1024;

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return kb / 1024;
}

/** A client that stops reading is dropped instead of being buffered for without bound. */
describe('live stock: slow consumers', () => {
  let testEnv: TestEnv;
  let server: ServerProcess;

  beforeAll(async () => {
    testEnv = newTestEnv();
    server = await startBuiltServer({ ...testEnv.env, LOG_LEVEL: 'warn', LIVE_SLOW_CONSUMER_BYTES: String(CAP_BYTES) });
    const call = api(server.baseUrl);
    for (const sku of SKUS) {
      expect(
        (await call('POST', '/v1/admin/products', { body: { sku, name: sku, category: 'slow', priceCents: 1 } }))
          .status,
      ).toBe(201);
    }
  });

  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await testEnv.cleanup();
  });

  const metric = async (name: string) => {
    const text: string = (await api(server.baseUrl)('GET', '/metrics')).body;
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('drops a socket that stops reading while ~70 MB of answers pile up, and the process stays small', async () => {
    const healthy = await SseClient.open(`${server.baseUrl}/v1/stock/stream?skus=${SKUS.slice(0, 3).join(',')}`);
    await until('the healthy snapshot', () => healthy.stock.length === 3);
    const slow = await WsClient.open(server.baseUrl);
    slow.send({ op: 'subscribe', skus: SKUS });
    await until('the first answers', () => slow.stock.length === 50);
    const before = rssMb(server.child.pid!);

    // Stop reading, then ask for the state of 50 skus 10,000 times (each answer ~7 KB).
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    for (let i = 0; i < 10_000; i++) slow.send({ op: 'subscribe', skus: SKUS });

    // The client reads nothing, so it cannot see the close either: the server's count tells.
    await untilAsync(
      'the drop',
      async () => (await metric('live_stock_drops_total{reason="slow_consumer"}')) === 1,
      30000,
    );
    await untilAsync('the socket closed', async () => (await metric('live_stock_connections{kind="ws"}')) === 0, 5000);
    // Kernel buffers (a few MB) plus the cap: nowhere near the 70 MB the answers would take.
    expect(rssMb(server.child.pid!) - before).toBeLessThan(40);

    // The healthy client is untouched and still served.
    expect(healthy.ended).toBe(false);
    expect(
      (
        await api(server.baseUrl)('POST', '/v1/admin/stock/inbound', {
          body: { sku: SKUS[0], warehouse: 'main', qty: 2 },
        })
      ).status,
    ).toBe(200);
    await until('the inbound', () => healthy.stock.some((e) => e.sku === SKUS[0] && e.available === 2), 5000);
    healthy.close();
  });
});
