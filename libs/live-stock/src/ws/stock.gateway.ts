import type { IncomingMessage } from 'http';
import { Logger } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import { AppConfig, DomainError, toErrorBody } from '@app/core';
import { StockLevels } from '@app/inventory';
import { ChangeBus } from '../hub/change-bus';
import { LiveConnections } from '../hub/live-connections';
import { StockHub } from '../hub/stock-hub';
import { rowId } from '../hub/stock-state';
import { requireKeyScope } from '../live-keys';
import { MAX_SKUS, parseSkus, parseWarehouse } from '../subscription-request';
import { WsStockConnection } from './ws-stock-connection';

export const STOCK_WS_PATH = '/v1/stock/ws';
/** Messages larger than this are refused by the socket itself (a subscribe of 50 skus is ~3.5 KB). */
const MAX_MESSAGE_BYTES = 16 * 1024;

type VerifyCallback = (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

/**
 * `GET /v1/stock/ws`: the live stock stream over WebSocket (protocol in docs/live-stock.md).
 * Authenticated at the upgrade (`Authorization` header or `?key=`), so a refused client gets an
 * HTTP status in the error shape, not a socket that closes. Messages are handled here rather
 * than through Nest's message handlers: the HTTP guards and pipes do not apply to them.
 */
@WebSocketGateway({ path: STOCK_WS_PATH, maxPayload: MAX_MESSAGE_BYTES, clientTracking: false })
export class StockGateway implements OnGatewayInit<WebSocketServer>, OnGatewayConnection<WebSocket> {
  private readonly logger = new Logger(StockGateway.name);

  constructor(
    private readonly hub: StockHub,
    private readonly bus: ChangeBus,
    private readonly connections: LiveConnections,
    private readonly levels: StockLevels,
    private readonly config: AppConfig,
  ) {}

  afterInit(server: WebSocketServer): void {
    // Set here, not in the decorator, because it needs the configuration.
    (server.options as { verifyClient?: unknown }).verifyClient = (
      info: { req: IncomingMessage },
      done: VerifyCallback,
    ) => this.verify(info.req, done);
  }

  handleConnection(socket: WebSocket): void {
    const connection = new WsStockConnection(socket, this.config.live.slowConsumerBytes);
    this.connections.add(connection);
    const heartbeat = setInterval(() => socket.ping(), this.config.live.heartbeatMs);
    socket.on('message', (data: RawData, isBinary: boolean) => void this.onMessage(connection, data, isBinary));
    socket.on('close', () => {
      clearInterval(heartbeat);
      connection.markClosed();
      for (const { sku, warehouse } of connection.rows.values()) this.hub.unsubscribe(connection, sku, warehouse);
      connection.rows.clear();
      this.connections.remove(connection);
    });
    socket.on('error', () => socket.terminate());
    if (!this.bus.crossInstance) connection.notice({ type: 'local-only', reason: 'Redis is down' });
  }

  private verify(req: IncomingMessage, done: VerifyCallback): void {
    try {
      const key = new URL(req.url ?? '/', 'http://localhost').searchParams.get('key');
      requireKeyScope(this.config, req.headers.authorization, key, 'storefront');
      this.connections.admit();
      done(true);
    } catch (err) {
      const body = toErrorBody(err);
      const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
      if (body.statusCode === 503) headers['Retry-After'] = String(this.config.http.retryAfterSec);
      done(false, body.statusCode, JSON.stringify(body), headers);
    }
  }

  private async onMessage(connection: WsStockConnection, data: RawData, isBinary: boolean): Promise<void> {
    let op: unknown;
    try {
      const message = parseMessage(data, isBinary);
      op = message?.op;
      if (op === 'subscribe') await this.subscribe(connection, message!);
      else if (op === 'unsubscribe') this.unsubscribe(connection, message!);
      else throw DomainError.validation('Send {"op":"subscribe"|"unsubscribe","skus":[…],"warehouse"?}');
    } catch (err) {
      const body = toErrorBody(err);
      if (body.statusCode >= 500) this.logger.warn({ err }, 'Live stock subscription failed');
      connection.reply({ type: 'error', op: typeof op === 'string' ? op : undefined, ...body });
    }
  }

  private async subscribe(connection: WsStockConnection, message: Record<string, unknown>): Promise<void> {
    const warehouse = parseWarehouse(message.warehouse, this.config.inventory.defaultWarehouse);
    const requested = parseSkus(message.skus);
    const total = new Set([...connection.rows.keys(), ...requested.map((sku) => rowId(sku, warehouse))]).size;
    if (total > MAX_SKUS) throw DomainError.validation(`skus: at most ${MAX_SKUS} skus per socket`, { count: total });
    const resolved = await this.levels.resolve(requested, warehouse);
    if (!connection.isOpen) return;
    connection.reply({ type: 'subscribed', skus: resolved.skus, warehouse: resolved.warehouse });
    for (const sku of resolved.skus) {
      connection.rows.set(rowId(sku, resolved.warehouse), { sku, warehouse: resolved.warehouse });
      // Also for a sku already followed: a subscribe always answers with the current state.
      this.hub.subscribe(connection, sku, resolved.warehouse);
    }
  }

  private unsubscribe(connection: WsStockConnection, message: Record<string, unknown>): void {
    const warehouse = parseWarehouse(message.warehouse, this.config.inventory.defaultWarehouse);
    const skus = parseSkus(message.skus);
    for (const sku of skus) {
      const row = connection.rows.get(rowId(sku, warehouse));
      if (!row) continue;
      connection.rows.delete(rowId(sku, warehouse));
      this.hub.unsubscribe(connection, row.sku, row.warehouse);
    }
    connection.reply({ type: 'unsubscribed', skus, warehouse });
  }
}

function parseMessage(data: RawData, isBinary: boolean): Record<string, unknown> | null {
  if (isBinary) throw DomainError.validation('Messages are JSON text');
  try {
    const message: unknown = JSON.parse((data as Buffer).toString()); // ws hands text frames over as a Buffer
    return typeof message === 'object' && message !== null && !Array.isArray(message)
      ? (message as Record<string, unknown>)
      : null;
  } catch {
    throw DomainError.validation('Messages are JSON text');
  }
}
