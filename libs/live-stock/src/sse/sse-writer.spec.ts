import { createServer, get, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { SseWriter } from './sse-writer';

/** Over a real loopback connection: a reader that stops reading gets dropped at the cap. */
describe('SseWriter', () => {
  let server: Server;
  let onRequest: (res: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((_req, res) => onRequest(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const connect = (): Promise<IncomingMessage> =>
    new Promise((resolve) =>
      get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { agent: false }, resolve),
    );

  it('destroys the stream once unread bytes pass the cap, instead of buffering them', async () => {
    const closed: string[] = [];
    const writer = await new Promise<SseWriter>((resolve) => {
      onRequest = (res) => {
        const w = new SseWriter(res, 64 * 1024, (reason) => closed.push(reason));
        w.open(60_000);
        resolve(w);
      };
      void connect().then((res) => res.pause());
    });
    const frame = `event: stock\ndata: ${'x'.repeat(200)}\n\n`;
    let written = 0;
    // The kernel takes a few MB first; then Node's buffer grows to the cap and the writer gives up.
    for (let i = 0; i < 200_000 && writer.write(frame); i++) {
      written += frame.length;
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(writer.isOpen).toBe(false);
    expect(closed).toEqual(['slow_consumer']);
    expect(written).toBeLessThan(40 * 1024 * 1024);
  });

  it('keeps a reading client, and ends with the last frame', async () => {
    let text = '';
    const done = new Promise<void>((resolve) => {
      onRequest = (res) => {
        const w = new SseWriter(res, 1024, () => undefined);
        w.open(60_000);
        for (let i = 0; i < 100; i++) expect(w.write(`data: ${i}\n\n`)).toBe(true);
        w.end('event: reconnect\ndata: {}\n\n');
      };
      void connect().then((res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', resolve);
      });
    });
    await done;
    expect(text.startsWith(': connected\n\n')).toBe(true);
    expect(text).toContain('data: 99\n\n');
    expect(text.endsWith('event: reconnect\ndata: {}\n\n')).toBe(true);
  });
});
