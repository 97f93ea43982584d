import { DomainError, ErrorCode } from '@app/core';
import type { TxStatus } from './tcc.types';

/**
 * A compare-and-set on a transaction's status was lost (e.g. commit of a tx already
 * CANCELLING, tryBranch on a tx past its deadline). `details.currentStatus` says where it stands.
 */
export class TccConflictError extends DomainError {
  constructor(
    readonly txId: string,
    readonly currentStatus: TxStatus,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(ErrorCode.CONFLICT, message, { txId, currentStatus, ...details });
    this.name = 'TccConflictError';
  }
}
