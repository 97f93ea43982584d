import type { ServerResponse } from 'http';
import { Socket } from 'net';
import { liveDrops } from '../live-stock.metrics';

/** The status line and headers of an event stream: no proxy buffering, no compression, no chunking. */
const HEAD =
  'HTTP/1.1 200 OK\r\n' +
  'content-type: text/event-stream; charset=utf-8\r\n' +
  'cache-control: no-cache, no-transform\r\n' +
  'x-accel-buffering: no\r\n' +
  'connection: close\r\n\r\n';

/**
 * Writes an event stream straight to the socket of a hijacked response and refuses to buffer
 * without bound: once the bytes the client has not taken pass `maxBufferedBytes`, the socket
 * is destroyed and `onClose` runs. (`write()` returning false only says the socket is behind;
 * the kernel holds its own buffer first, so the cap is on what Node holds on top of it.)
 *
 * Why the socket and not the ServerResponse: a response body without a length is chunked,
 * and each write corks the socket until the next tick; with thousands of clients per event
 * that doubled the cost of a push. The stream's end is the connection's end (`connection:
 * close`), as HTTP/1.1 allows for a body of unknown length.
 */
export class SseWriter {
  private closed = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly socket: Socket;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBufferedBytes: number,
    private readonly onClose: (reason: 'client' | 'slow_consumer' | 'server') => void,
  ) {
    this.socket = res.socket as Socket;
    if (!(this.socket instanceof Socket)) return;
    this.socket.on('close', () => this.finish('client'));
    this.socket.on('error', () => this.finish('client'));
  }

  /** Writes the head; check `isOpen` after it before subscribing anything. */
  open(heartbeatMs: number): void {
    if (!(this.socket instanceof Socket)) {
      // In-process injection (tests, tools) has no connection to hold: answer and end at once.
      this.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      this.res.end('retry: 1000\n\n');
      this.finish('server');
      return;
    }
    this.socket.setNoDelay(true);
    this.socket.setTimeout(0);
    this.socket.write(`${HEAD}: connected\n\n`);
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), heartbeatMs);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Returns false when the stream is closed (or was just closed as a slow consumer). */
  write(frame: string | Buffer): boolean {
    if (this.closed) return false;
    if (this.socket.writableLength > this.maxBufferedBytes) {
      liveDrops.inc({ reason: 'slow_consumer' });
      this.finish('slow_consumer');
      this.socket.destroy();
      return false;
    }
    this.socket.write(frame);
    return true;
  }

  /** Ends the stream after a last frame. */
  end(lastFrame?: string): void {
    if (this.closed) return;
    this.finish('server');
    this.socket.end(lastFrame ?? '');
  }

  private finish(reason: 'client' | 'slow_consumer' | 'server'): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.onClose(reason);
  }
}
