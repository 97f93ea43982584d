import { get, IncomingMessage } from 'http';
import { ulid } from 'ulid';
import WebSocket from 'ws';
import { pollUntil } from '@app/core';
import { ADMIN_KEY, STOREFRONT_KEY } from '../helpers/test-env';

export interface StockEvent {
  id?: string;
  sku: string;
  warehouse: string;
  available: number;
  soldOut: boolean;
}

/** The API of a built server over real HTTP. */
export function api(base: string) {
  return async (method: string, path: string, o: { body?: unknown; user?: string; key?: string } = {}) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${path.startsWith('/v1/admin') ? ADMIN_KEY : STOREFRONT_KEY}`,
    };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    if (o.user) headers['x-user-id'] = o.user;
    if (o.key ?? (method !== 'GET' ? ulid() : undefined)) headers['idempotency-key'] = o.key ?? ulid();
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* metrics text */
    }
    return { status: res.status, body, headers: res.headers };
  };
}

/** An SSE client on a raw HTTP response: every `stock` event in order, plus the other events by name. */
export class SseClient {
  readonly stock: StockEvent[] = [];
  readonly others: Array<{ event: string; data: string }> = [];
  status = 0;
  body = '';
  ended = false;
  heartbeats = 0;
  res?: IncomingMessage;
  private buffer = '';

  static open(
    url: string,
    headers: Record<string, string> = { authorization: `Bearer ${STOREFRONT_KEY}` },
  ): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      const req = get(url, { headers, agent: false }, (res) => {
        client.res = res;
        client.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (client.status === 200 ? client.feed(chunk) : (client.body += chunk)));
        res.on('end', () => (client.ended = true));
        res.on('close', () => (client.ended = true));
        res.on('error', () => (client.ended = true));
        if (client.status === 200) resolve(client);
        else res.on('end', () => resolve(client));
      });
      req.on('error', reject);
    });
  }

  get last(): StockEvent | undefined {
    return this.stock[this.stock.length - 1];
  }

  close(): void {
    this.res?.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      if (frame === ': heartbeat') this.heartbeats++;
      let event = 'message';
      let data = '';
      let id: string | undefined;
      for (const line of frame.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
        else if (line.startsWith('id: ')) id = line.slice(4);
      }
      if (event === 'stock') this.stock.push({ id, ...JSON.parse(data) });
      else if (data) this.others.push({ event, data });
    }
  }
}

/** A WebSocket client of /v1/stock/ws: stock messages in order, the others apart. */
export class WsClient {
  readonly stock: StockEvent[] = [];
  readonly others: any[] = [];
  closeCode?: number;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      const message = JSON.parse((raw as Buffer).toString()); // ws hands text frames over as a Buffer
      if (message.type === 'stock') this.stock.push(message);
      else this.others.push(message);
    });
    socket.on('close', (code) => (this.closeCode = code));
    socket.on('error', () => undefined);
  }

  static open(base: string, key = STOREFRONT_KEY): Promise<WsClient> {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/v1/stock/ws?key=${key}`);
    const client = new WsClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  get last(): StockEvent | undefined {
    return this.stock[this.stock.length - 1];
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  close(): void {
    this.socket.terminate();
  }
}

/** The status (and JSON body) an upgrade to /v1/stock/ws gets, when it is refused. */
export function refusedUpgrade(
  base: string,
  headers: Record<string, string>,
  query = '',
): Promise<{ status: number; body: any; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/v1/stock/ws${query}`, { headers });
    socket.once('open', () => reject(new Error('upgrade accepted')));
    socket.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), ...(retryAfter ? { retryAfter } : {}) });
      });
    });
    socket.once('error', () => undefined);
  });
}

export async function until(what: string, check: () => boolean, timeoutMs = 20000): Promise<void> {
  if (!(await pollUntil(check, { timeoutMs, intervalMs: 20 }))) throw new Error(`timed out waiting for ${what}`);
}

/** Each value no higher than the one before: the count only falls during a sale. */
export function nonIncreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v <= values[i - 1]);
}

export async function untilAsync(what: string, check: () => Promise<boolean>, timeoutMs = 20000): Promise<void> {
  if (!(await pollUntil(check, { timeoutMs, intervalMs: 100 }))) throw new Error(`timed out waiting for ${what}`);
}
