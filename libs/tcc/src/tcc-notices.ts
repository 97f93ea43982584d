import { Injectable, Logger } from '@nestjs/common';

export interface TxFlagged {
  txId: string;
  name: string;
  status: string;
  attempts: number;
  lastError?: string;
}

/**
 * Notices of the TCC library for followers (the admin event stream): a transaction was
 * flagged for an operator. Synchronous, no I/O; a listener that throws is logged and ignored.
 */
@Injectable()
export class TccNotices {
  private readonly logger = new Logger(TccNotices.name);
  private readonly flaggedListeners: Array<(event: TxFlagged) => void> = [];

  onFlagged(listener: (event: TxFlagged) => void): void {
    this.flaggedListeners.push(listener);
  }

  flagged(event: TxFlagged): void {
    for (const listener of this.flaggedListeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.warn({ err }, 'A TCC notice listener failed');
      }
    }
  }
}
