import { ServerProcess, startBuiltServer } from '../helpers/server-process';
import { newTestEnv, STOREFRONT_KEY, TestEnv } from '../helpers/test-env';
import { api, nonIncreasing, refusedUpgrade, SseClient, until, WsClient } from './live-clients';

const UNITS = 100;
const SSE_CLIENTS = 200;
const WS_CLIENTS = 50;

/** Live stock against the built server, over real connections. */
describe('live stock streams (SSE and WebSocket)', () => {
  let testEnv: TestEnv;
  let server: ServerProcess;
  let call: ReturnType<typeof api>;
  let sse: SseClient[] = [];
  let ws: WsClient[] = [];

  beforeAll(async () => {
    testEnv = newTestEnv();
    server = await startBuiltServer({
      ...testEnv.env,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_USER_PER_SEC: '0',
      LIVE_HEARTBEAT_MS: '300',
    });
    call = api(server.baseUrl);
    for (const sku of ['FLASH', 'OTHER']) {
      expect(
        (await call('POST', '/v1/admin/products', { body: { sku, name: sku, category: 'live', priceCents: 100 } }))
          .status,
      ).toBe(201);
    }
    expect(
      (await call('POST', '/v1/admin/stock/inbound', { body: { sku: 'FLASH', warehouse: 'main', qty: UNITS } })).status,
    ).toBe(200);
    expect(
      (await call('POST', '/v1/admin/stock/inbound', { body: { sku: 'OTHER', warehouse: 'main', qty: 7 } })).status,
    ).toBe(200);
  });

  afterAll(async () => {
    for (const c of sse) c.close();
    for (const c of ws) c.close();
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await testEnv.cleanup();
  });

  const available = async (sku: string) =>
    (await call('GET', `/v1/admin/stock?sku=${sku}&warehouse=main`)).body.items[0].available as number;

  it('every client sees the count fall from 100 to exactly 0 in order, sold out, then an inbound of 5', async () => {
    const url = `${server.baseUrl}/v1/stock/stream?skus=FLASH&warehouse=main`;
    sse = await Promise.all(Array.from({ length: SSE_CLIENTS }, () => SseClient.open(url)));
    ws = await Promise.all(Array.from({ length: WS_CLIENTS }, () => WsClient.open(server.baseUrl)));
    for (const c of ws) c.send({ op: 'subscribe', skus: ['FLASH'], warehouse: 'main' });
    const all = [...sse, ...ws];
    await until('every snapshot', () => all.every((c) => c.last?.available === UNITS));
    expect(sse.every((c) => c.stock[0].id !== undefined && c.stock[0].soldOut === false)).toBe(true);

    // The sale: more buyers than units, all at once.
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        call('POST', '/v1/orders', { user: `buyer${i}`, body: { items: [{ sku: 'FLASH', qty: 1 }] } }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(UNITS);
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(await available('FLASH')).toBe(0);

    await until('every client at 0', () => all.every((c) => c.last?.available === 0));
    for (const c of all) {
      const values = c.stock.map((e) => e.available);
      expect(values[0]).toBe(UNITS);
      expect(nonIncreasing(values)).toBe(true);
      expect(c.last).toEqual(expect.objectContaining({ sku: 'FLASH', warehouse: 'main', available: 0, soldOut: true }));
    }
    // Coalesced: far fewer events than orders, at most 10 a second (plus the snapshot).
    expect(Math.max(...all.map((c) => c.stock.length))).toBeLessThan(UNITS);

    expect(
      (await call('POST', '/v1/admin/stock/inbound', { body: { sku: 'FLASH', warehouse: 'main', qty: 5 } })).status,
    ).toBe(200);
    await until('the inbound everywhere', () => all.every((c) => c.last?.available === 5));
    expect(all.every((c) => c.last?.soldOut === false)).toBe(true);

    // Every stock event written is counted (these clients saw no other events).
    const metrics: string = (await call('GET', '/metrics')).body;
    const sent = (kind: string) =>
      Number(metrics.match(new RegExp(`^live_stock_events_sent_total\\{kind="${kind}"\\} (\\d+)$`, 'm'))?.[1]);
    const received = (clients: Array<SseClient | WsClient>) => clients.reduce((n, c) => n + c.stock.length, 0);
    expect(sent('sse')).toBeGreaterThanOrEqual(received(sse));
    expect(sent('ws')).toBeGreaterThanOrEqual(received(ws));
  });

  it('a client reconnecting with Last-Event-ID gets the current state at once', async () => {
    const url = `${server.baseUrl}/v1/stock/stream?skus=OTHER`;
    const first = await SseClient.open(url);
    await until('the snapshot', () => first.stock.length === 1);
    const lastId = first.stock[0].id!;
    first.close();
    expect(
      (await call('POST', '/v1/admin/stock/outbound', { body: { sku: 'OTHER', warehouse: 'main', qty: 3 } })).status,
    ).toBe(200);

    const again = await SseClient.open(url, { authorization: `Bearer ${STOREFRONT_KEY}`, 'last-event-id': lastId });
    await until('the current state', () => again.stock.length >= 1, 2000);
    expect(again.stock[0]).toEqual(expect.objectContaining({ sku: 'OTHER', available: 4, soldOut: false }));
    expect(Number(again.stock[0].id)).toBeGreaterThan(Number(lastId));
    // Quiet since: only heartbeat comments (every LIVE_HEARTBEAT_MS, 300 ms here) keep it alive.
    await until('two heartbeats', () => again.heartbeats >= 2, 3000);
    expect(again.stock).toHaveLength(1);
    again.close();
  });

  it('bad skus, too many skus, a bad warehouse and a missing key get the 4xx error shape', async () => {
    const stream = async (
      query: string,
      headers: Record<string, string> = { authorization: `Bearer ${STOREFRONT_KEY}` },
    ) => {
      const c = await SseClient.open(`${server.baseUrl}/v1/stock/stream${query}`, headers);
      return { status: c.status, body: JSON.parse(c.body) };
    };
    const tooMany = Array.from({ length: 51 }, (_, i) => `S-${i}`).join(',');
    expect(await stream('?skus=NOPE')).toEqual({
      status: 400,
      body: expect.objectContaining({ error: 'VALIDATION_FAILED', details: { unknown: ['NOPE'] } }),
    });
    expect(await stream('?skus=FLASH,NOPE')).toEqual({
      status: 400,
      body: expect.objectContaining({ error: 'VALIDATION_FAILED' }),
    });
    expect(await stream(`?skus=${tooMany}`)).toEqual({
      status: 400,
      body: expect.objectContaining({ error: 'VALIDATION_FAILED' }),
    });
    expect(await stream('?skus=')).toEqual({
      status: 400,
      body: expect.objectContaining({ error: 'VALIDATION_FAILED' }),
    });
    expect(await stream('?skus=%00%01')).toEqual({
      status: 400,
      body: expect.objectContaining({ error: 'VALIDATION_FAILED' }),
    });
    expect(await stream('?skus=FLASH&extra=1')).toEqual({
      status: 400,
      body: expect.objectContaining({ error: 'VALIDATION_FAILED' }),
    });
    expect(await stream('?skus=FLASH&warehouse=nowhere')).toEqual({
      status: 404,
      body: expect.objectContaining({ error: 'NOT_FOUND' }),
    });
    expect(await stream('?skus=FLASH', {})).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'UNAUTHORIZED' }),
    });
    expect(await stream('?skus=FLASH', { authorization: 'Bearer dev-admin-key' })).toEqual({
      status: 403,
      body: expect.objectContaining({ error: 'FORBIDDEN' }),
    });

    expect(await refusedUpgrade(server.baseUrl, {})).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'UNAUTHORIZED' }),
    });
    expect(await refusedUpgrade(server.baseUrl, {}, '?key=wrong-key-123')).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'UNAUTHORIZED' }),
    });
    const socket = await WsClient.open(server.baseUrl);
    socket.send({ op: 'subscribe', skus: ['NOPE'] });
    socket.send({ op: 'subscribe', skus: Array.from({ length: 51 }, (_, i) => `S-${i}`) });
    socket.send({ op: 'dance' });
    socket.socket.send('not json');
    await until('four refusals', () => socket.others.filter((m) => m.type === 'error').length === 4, 5000);
    expect(socket.others.filter((m) => m.type === 'error').map((m) => m.statusCode)).toEqual([400, 400, 400, 400]);
    socket.close();
  });

  it('on SIGTERM every client gets a final event telling it to reconnect, and the server exits cleanly', async () => {
    expect(sse.every((c) => !c.ended)).toBe(true);
    const admin = await SseClient.open(`${server.baseUrl}/v1/admin/events`, { authorization: 'Bearer dev-admin-key' });
    await until('the gate event', () => admin.others.some((e) => e.event === 'gate'), 5000);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await until(
      'every stream ended',
      () => sse.every((c) => c.ended) && ws.every((c) => c.closeCode !== undefined),
      5000,
    );
    expect(sse.every((c) => c.others.some((e) => e.event === 'reconnect'))).toBe(true);
    expect(ws.every((c) => c.others.some((m) => m.type === 'reconnect') && c.closeCode === 1012)).toBe(true);
    expect(admin.others.some((e) => e.event === 'reconnect')).toBe(true);
  });
});
