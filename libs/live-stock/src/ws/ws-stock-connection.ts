import type { WebSocket } from 'ws';
import { LiveConnection } from '../hub/live-connections';
import { LiveNotice, StockState, StockSubscriber, wsFrame } from '../hub/stock-state';
import { countEventSent, liveDrops } from '../live-stock.metrics';

/** Close code "service restart": the client should reconnect (elsewhere). */
const CLOSE_RESTART = 1012;
/** Close code "policy violation", used for a consumer too slow to keep up. */
const CLOSE_SLOW = 1008;

/** One WebSocket: its subscribed rows and a writer that drops the client instead of buffering without bound. */
export class WsStockConnection implements StockSubscriber, LiveConnection {
  readonly kind = 'ws' as const;
  readonly rows = new Map<string, { sku: string; warehouse: string }>();
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly maxBufferedBytes: number,
  ) {}

  deliver(state: StockState): void {
    if (this.send(wsFrame(state))) countEventSent('ws');
  }

  notice(notice: LiveNotice): void {
    if (this.send(JSON.stringify({ type: 'notice', notice: notice.type, reason: notice.reason }))) countEventSent('ws');
  }

  reply(message: Record<string, unknown>): void {
    this.send(JSON.stringify(message));
  }

  closeForShutdown(): void {
    if (this.closed) return;
    this.send(JSON.stringify({ type: 'reconnect', reason: 'shutdown' }));
    this.closed = true;
    this.socket.close(CLOSE_RESTART, 'server shutting down: reconnect');
  }

  get isOpen(): boolean {
    return !this.closed && this.socket.readyState === this.socket.OPEN;
  }

  markClosed(): void {
    this.closed = true;
  }

  private send(frame: string | Buffer): boolean {
    if (!this.isOpen) return false;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      liveDrops.inc({ reason: 'slow_consumer' });
      this.closed = true;
      this.socket.close(CLOSE_SLOW, 'too slow: reconnect');
      // A client that does not read will not read the close frame either.
      setTimeout(() => this.socket.terminate(), 1000).unref();
      return false;
    }
    // A Buffer is sent as text as it is: encoded once for every client.
    this.socket.send(frame, { binary: false });
    return true;
  }
}
