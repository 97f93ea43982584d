import { Injectable } from '@nestjs/common';
import { DomainError, Page, pageOf } from '@app/core';
import { TccCoordinator } from '../coordinator/tcc.coordinator';
import { TccRecoveryJob } from '../recovery/tcc-recovery.job';
import { TransactionQueries } from '../repositories/transaction-queries';
import type { TxRow } from '../repositories/transaction.repository';
import type { TxView } from '../tcc.types';
import { TransactionDetailDto, TransactionDto, TransactionQueryDto } from './dto/transaction.dto';

/** The operator's view of transactions: find the stuck ones, retry them now, or cancel them. */
@Injectable()
export class TccAdminService {
  constructor(
    private readonly transactions: TransactionQueries,
    private readonly coordinator: TccCoordinator,
    private readonly recovery: TccRecoveryJob,
  ) {}

  async list(query: TransactionQueryDto): Promise<Page<TransactionDto>> {
    const [rows, total] = await this.transactions.findPage(
      { status: query.status, name: query.name, flagged: query.flagged },
      query,
    );
    return pageOf(rows.map(toTransactionDto), total, query);
  }

  async get(txId: string): Promise<TransactionDetailDto> {
    const view = await this.coordinator.findTransaction(txId);
    if (!view) throw DomainError.notFound(`Transaction ${txId}`, { txId });
    return toDetailDto(view);
  }

  /** Runs recovery for this tx now (a no-op for a finished or still-open tx). */
  async retry(txId: string): Promise<TransactionDetailDto> {
    await this.get(txId);
    await this.recovery.recoverNow(txId);
    return this.get(txId);
  }

  /** Operator rollback; 409 CONFLICT once the tx is CONFIRMING/CONFIRMED. */
  async cancel(txId: string): Promise<TransactionDetailDto> {
    await this.get(txId);
    await this.coordinator.rollback(txId, 'OPERATOR');
    return this.get(txId);
  }
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

function toTransactionDto(t: TxRow | TxView): TransactionDto {
  return {
    txId: t.txId,
    name: t.name,
    status: t.status,
    deadlineAt: t.deadlineAt.toISOString(),
    retryCount: t.retryCount,
    lastError: t.lastError,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    cancelReason: t.cancelReason,
    nextRetryAt: iso(t.nextRetryAt),
    flagged: t.flaggedAt !== null,
    flaggedAt: iso(t.flaggedAt),
  };
}

function toDetailDto(view: TxView): TransactionDetailDto {
  return {
    ...toTransactionDto(view),
    branches: view.branches.map((b) => ({
      branchId: b.branchId,
      participant: b.participant,
      status: b.status,
      attempts: b.attempts,
      lastError: b.lastError,
      createdAt: b.createdAt.toISOString(),
      updatedAt: b.updatedAt.toISOString(),
    })),
  };
}
