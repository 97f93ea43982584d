import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { WebSocket } from 'ws';

/**
 * Nest's `ws` adapter, minus the per-socket rxjs message pipeline when a gateway declares no
 * message handlers (ours reads its messages itself): with thousands of idle sockets that
 * pipeline was a good part of each one's memory.
 */
export class StockWsAdapter extends WsAdapter {
  override bindMessageHandlers(
    client: WebSocket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    if (handlers.length > 0) super.bindMessageHandlers(client, handlers, transform);
  }
}
