import type { ServerResponse } from 'http';
import { liveDrops } from '../live-stock.metrics';

/**
 * Writes an event stream to a raw response and refuses to buffer without bound: once the
 * bytes the client has not taken pass `maxBufferedBytes`, the response is destroyed and
 * `onClose` runs. (`write()` returning false only says the socket is behind; the kernel holds
 * its own buffer first, so the cap is on what Node holds on top of it. Node also corks the
 * socket for the rest of the tick after a write, so one tick's frames count until then: keep
 * the cap well above one burst, e.g. a snapshot of 50 skus, ~7 KB.)
 */
export class SseWriter {
  private closed = false;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBufferedBytes: number,
    private readonly onClose: (reason: 'client' | 'slow_consumer' | 'server') => void,
  ) {
    res.on('close', () => this.finish('client'));
    res.on('error', () => this.finish('client'));
  }

  /** Status line and headers of an event stream (no proxy buffering, no compression). */
  open(heartbeatMs: number): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.res.socket?.setNoDelay(true);
    this.write(': connected\n\n');
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), heartbeatMs);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Returns false when the stream is closed (or was just closed as a slow consumer). */
  write(frame: string): boolean {
    if (this.closed) return false;
    if (this.res.writableLength > this.maxBufferedBytes) {
      liveDrops.inc({ reason: 'slow_consumer' });
      this.finish('slow_consumer');
      this.res.destroy();
      return false;
    }
    this.res.write(frame);
    return true;
  }

  /** Ends the stream after a last frame. */
  end(lastFrame?: string): void {
    if (this.closed) return;
    if (lastFrame) this.res.write(lastFrame);
    this.finish('server');
    this.res.end();
  }

  private finish(reason: 'client' | 'slow_consumer' | 'server'): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.onClose(reason);
  }
}
