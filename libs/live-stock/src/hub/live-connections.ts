import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { AppConfig, DomainError, ErrorCode } from '@app/core';
import { liveConnections, liveDrops } from '../live-stock.metrics';

export type ConnectionKind = 'sse' | 'ws' | 'admin';

/** What the registry needs of an open connection: a way to close it with a last word. */
export interface LiveConnection {
  readonly kind: ConnectionKind;
  /** Sends the "reconnect elsewhere" notice and ends the connection. */
  closeForShutdown(): void;
}

/**
 * Every open live connection of the instance: the cap (`LIVE_MAX_CONNECTIONS`, then 503), the
 * gauge, and the clean close on shutdown. `beforeApplicationShutdown` runs before the HTTP
 * server closes, so each client still gets its final event; open streams would otherwise
 * keep the server's close waiting.
 */
@Injectable()
export class LiveConnections implements BeforeApplicationShutdown {
  private readonly open = new Set<LiveConnection>();
  private closing = false;

  constructor(private readonly config: AppConfig) {}

  /** Room for one more? Throws 503 SERVICE_UNAVAILABLE (with a retry hint) when not. */
  admit(): void {
    if (this.closing)
      throw unavailable('This instance is shutting down; connect to another one', this.config.http.retryAfterSec);
    if (this.open.size >= this.config.live.maxConnections) {
      liveDrops.inc({ reason: 'over_cap' });
      throw unavailable(
        `This instance holds its maximum of ${this.config.live.maxConnections} live connections`,
        this.config.http.retryAfterSec,
      );
    }
  }

  get isClosing(): boolean {
    return this.closing;
  }

  add(connection: LiveConnection): void {
    this.open.add(connection);
    liveConnections.inc({ kind: connection.kind });
  }

  remove(connection: LiveConnection): void {
    if (this.open.delete(connection)) liveConnections.dec({ kind: connection.kind });
  }

  get size(): number {
    return this.open.size;
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const connection of [...this.open]) {
      liveDrops.inc({ reason: 'shutdown' });
      connection.closeForShutdown();
      this.remove(connection);
    }
  }
}

function unavailable(message: string, retryAfterSec: number): DomainError {
  return new DomainError(ErrorCode.SERVICE_UNAVAILABLE, message, { retryAfterSec });
}
