import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, inTransaction } from '@app/core';
import { BranchRepository } from '../repositories/branch.repository';
import { TransactionRepository } from '../repositories/transaction.repository';
import { TccConflictError } from '../tcc-conflict.error';

/**
 * A branch added to an open tx (tryBranch): registered TRYING under the tx row's lock, so a
 * commit or rollback deciding at the same moment sees it. A repeat with the same payload is the
 * same branch (a refused one is reopened); with another payload it is a conflict. Returns the tx's name.
 */
@Injectable()
export class BranchRegistration {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRepository,
    private readonly branches: BranchRepository,
  ) {}

  async register(txId: string, branchId: string, participant: string, payloadJson: string): Promise<string> {
    return inTransaction(this.dataSource, async (em) => {
      const tx = await this.transactions.lockForBranch(em, txId);
      if (!tx) throw DomainError.notFound(`Transaction ${txId}`, { txId });
      if (tx.status !== 'TRYING' || !tx.open) {
        throw new TccConflictError(
          txId,
          tx.status,
          `Transaction ${txId} accepts no more branches (${tx.open ? tx.status : 'past its deadline'})`,
        );
      }
      if (!(await this.branches.insertBranch(em, { branchId, txId, participant, payloadJson }))) {
        const existing = await this.branches.findBranch(branchId, em);
        // canonical form: MySQL's JSON type may reorder keys, MariaDB's keeps the text
        if (existing && canonicalJson(existing.payload) !== canonicalJson(JSON.parse(payloadJson))) {
          throw new TccConflictError(txId, tx.status, `Branch ${branchId} was registered with a different payload`, {
            branchId,
          });
        }
        // a retry of a refused try: its outcome is unknown again until it returns
        if (existing?.status === 'TRY_FAILED') await this.branches.reopenFailedBranch(em, branchId);
      }
      return tx.name;
    });
  }
}

/** JSON with object keys sorted, so equal payloads compare equal whatever the storage did to key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
