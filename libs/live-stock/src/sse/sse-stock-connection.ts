import type { ServerResponse } from 'http';
import { LiveConnection } from '../hub/live-connections';
import { LiveNotice, sseFrame, StockState, StockSubscriber } from '../hub/stock-state';
import { countEventSent } from '../live-stock.metrics';
import { SseWriter } from './sse-writer';

/** Tells the client to come back through another instance (EventSource reconnects after `retry`). */
export const SSE_RECONNECT_FRAME = 'retry: 1000\nevent: reconnect\ndata: {"reason":"shutdown"}\n\n';

/** One `GET /v1/stock/stream`: a subscriber of its rows that writes SSE frames. */
export class SseStockConnection implements StockSubscriber, LiveConnection {
  readonly kind = 'sse' as const;
  readonly writer: SseWriter;

  constructor(res: ServerResponse, maxBufferedBytes: number, onClose: () => void) {
    this.writer = new SseWriter(res, maxBufferedBytes, onClose);
  }

  deliver(state: StockState): void {
    if (this.writer.write(sseFrame(state))) countEventSent('sse');
  }

  notice(notice: LiveNotice): void {
    if (this.writer.write(`event: notice\ndata: ${JSON.stringify(notice)}\n\n`)) countEventSent('sse');
  }

  closeForShutdown(): void {
    this.writer.end(SSE_RECONNECT_FRAME);
  }
}
