import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig, DomainError, inTransaction, newId } from '@app/core';
import { branchIdOf, TX_ID_PATTERN } from '../branch-id';
import { FencedBranchRunner, FenceRefusedError } from '../fence/fenced-branch.runner';
import type { BranchContext, BranchSpec, CancelReason, ParticipantName, TccPayloads } from '../participant';
import { ParticipantRegistry } from '../participants/participant.registry';
import { BranchRepository } from '../repositories/branch.repository';
import { TransactionRepository } from '../repositories/transaction.repository';
import { TccConflictError } from '../tcc-conflict.error';
import { tccMetrics } from '../tcc.metrics';
import {
  isCommitDecided,
  isRollbackDecided,
  type BeginOptions,
  type TryBranchOptions,
  type TxOutcome,
  type TxStatus,
  type TxView,
} from '../tcc.types';
import { BranchRegistration } from './branch-registration';
import { leaseOwnerId } from './lease-owner';
import { BranchPhaseFailed, LastTryRefused, LocalPhases, LostDecision, NotPlain } from './local-phases';
import { TransactionDriver, type FailedBranch } from './transaction-driver';

const DEFAULT_TIMEOUT_MS = 60_000;
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The TCC coordinator: begin a global transaction, add branches over time (each one's try runs
 * at once), then commit (confirm all) or roll back (cancel all). State changes of a tx are
 * compare-and-set, so of a concurrent commit, rollback and expiry exactly one wins; the others
 * get a TccConflictError.
 */
export interface CommitOptions {
  /** Decide and confirm in one local transaction when every branch is plain (see commit). */
  atOnce?: boolean;
  /** With atOnce: commits of the same key (their hot row) are group-committed. */
  batchKey?: string;
  /** A branch tried as part of the commit (in its local transaction with atOnce). */
  last?: BranchSpec;
}

@Injectable()
export class TccCoordinator {
  private readonly logger = new Logger(TccCoordinator.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRepository,
    private readonly branches: BranchRepository,
    private readonly participants: ParticipantRegistry,
    private readonly runner: FencedBranchRunner,
    private readonly driver: TransactionDriver,
    private readonly config: AppConfig,
    private readonly local: LocalPhases,
    private readonly registration: BranchRegistration,
  ) {}

  /**
   * Begins a tx and tries all its (co-located) branches in ONE local transaction: the tx row,
   * branch and fence rows and every participant's try, all or nothing. Checkouts of the same
   * `batchKey` (their hot row) are group-committed. A refusal is rethrown unchanged and leaves
   * no row behind; each branch's afterCancel runs (as for an empty rollback). Needs a new txId.
   */
  async beginWithBranches(options: BeginOptions & { batchKey?: string }, branches: BranchSpec[]): Promise<string> {
    const txId = options.txId ?? newId();
    if (!TX_ID_PATTERN.test(txId)) throw new Error(`Invalid txId '${txId}': 1-64 characters of [A-Za-z0-9_.-]`);
    if (!NAME_PATTERN.test(options.name)) throw new Error(`Invalid tx name '${options.name}'`);
    await this.local.beginAndTry(
      { txId, name: options.name, deadline: deadlineOf(options) },
      branches,
      options.batchKey ?? null,
    );
    this.logger.debug({ txId, name: options.name }, 'transaction begun and tried');
    return txId;
  }

  /** Starts a TRYING tx. Begin again with the same txId and name is a no-op (retry-safe). */
  async begin(options: BeginOptions): Promise<string> {
    const txId = options.txId ?? newId();
    if (!TX_ID_PATTERN.test(txId)) throw new Error(`Invalid txId '${txId}': 1-64 characters of [A-Za-z0-9_.-]`);
    if (!NAME_PATTERN.test(options.name)) throw new Error(`Invalid tx name '${options.name}'`);
    if (!(await this.transactions.insertTransaction(txId, options.name, deadlineOf(options)))) {
      const existing = await this.transactions.findTransaction(txId);
      if (existing?.name !== options.name || existing.status !== 'TRYING') {
        throw new TccConflictError(txId, existing?.status ?? 'TRYING', `Transaction ${txId} already exists`);
      }
    }
    this.logger.debug({ txId, name: options.name }, 'transaction begun');
    return txId;
  }

  /**
   * Adds a branch and runs its try. The branch row is registered while holding the tx row lock,
   * refused unless the tx is TRYING and before its deadline, so a rollback that wins afterwards
   * always sees (and cancels) it. A participant's refusal (DomainError) is rethrown unchanged.
   */
  async tryBranch<N extends ParticipantName>(
    txId: string,
    participant: N,
    payload: TccPayloads[N],
    options: TryBranchOptions = {},
  ): Promise<string> {
    const handler = this.participants.require(participant);
    const branchId = branchIdOf(txId, participant, options.key);
    const payloadJson = JSON.stringify(payload ?? null);
    const txName = await this.registration.register(txId, branchId, participant, payloadJson);
    const ctx: BranchContext = { txId, branchId, txName };
    try {
      const result = await this.runner.runTry(handler, ctx, payload);
      this.logger.debug({ txId, branchId, result }, 'branch tried');
      return branchId;
    } catch (err) {
      if (!(err instanceof FenceRefusedError)) tccMetrics.branchFailures.inc({ participant, phase: 'try' });
      const message = `${participant} try: ${err instanceof Error ? err.message : String(err)}`.slice(0, 1000);
      // bookkeeping only: never let it hide the participant's own error
      await this.branches
        .recordBranchFailure(branchId, message, { to: 'TRY_FAILED', onlyFrom: 'TRYING' })
        .catch((e: unknown) => this.logger.warn({ txId, branchId, err: e }, 'could not record the failed try'));
      if (err instanceof FenceRefusedError) {
        // The branch was cancelled before its try ran (the tx lost the race to a rollback).
        const status = (await this.transactions.findTransaction(txId))?.status ?? 'CANCELLED';
        throw new TccConflictError(
          txId,
          status,
          `Transaction ${txId} was rolled back before branch ${branchId} was tried`,
          { branchId },
        );
      }
      this.logger.log({ txId, branchId, err: err instanceof DomainError ? err.code : err }, 'branch try refused');
      throw err;
    }
  }

  /**
   * TRYING → CONFIRMED. With `atOnce`, when every branch is tried and co-located, the decision
   * and every confirm are ONE local transaction (group-committed under `batchKey`), and `last`,
   * a branch added at commit (e.g. the payment), is tried in it first: its refusal is rethrown
   * and the tx stays TRYING. A crash before that COMMIT leaves the tx TRYING (undecided), where
   * the per-branch path leaves it CONFIRMING; callers that told someone "committed" before
   * calling keep the per-branch path. Per branch: TRYING → CONFIRMING, then each confirm in its
   * own local transaction. Refused while a branch's try is still running. Branches whose try was
   * refused are cancelled instead of confirmed (an empty rollback whose tombstone refuses a
   * late retry), so a failed attempt, e.g. a 402 payment, never blocks a later one.
   * Idempotent once confirming.
   */
  async commit(txId: string, options: CommitOptions = {}): Promise<TxOutcome> {
    const failed: FailedBranch[] = [];
    if (options.atOnce) {
      try {
        await this.local.commitAtOnce(txId, options.last, options.batchKey ?? null);
        return { txId, status: 'CONFIRMED' };
      } catch (err) {
        if (err instanceof LastTryRefused) throw err.refusal;
        // Confirms never refuse: a refusal here is the last branch's try decided with the writes (a queued 402).
        if (err instanceof DomainError && options.last) throw err;
        if (err instanceof LostDecision) return this.lostCompareAndSet(txId, 'commit', isCommitDecided);
        // A confirm that failed has had this round's attempt: the per-branch path records it, runs the others.
        if (err instanceof BranchPhaseFailed) failed.push(err.failed);
        else if (!(err instanceof NotPlain))
          this.logger.warn({ txId, err }, 'one-transaction commit failed; committing branch by branch');
      }
    }
    const { last } = options;
    if (last) await this.tryBranch<ParticipantName>(txId, last.participant, last.payload, { key: last.key });
    return this.commitBranchByBranch(txId, failed);
  }

  private async commitBranchByBranch(txId: string, failed: FailedBranch[]): Promise<TxOutcome> {
    const owner = leaseOwnerId('commit');
    const won = await inTransaction(this.dataSource, async (em) => {
      if (!(await this.transactions.startCompletion(em, txId, 'CONFIRMING', this.lease(owner), null))) return false;
      // We hold the tx row lock now; every branch registered before is visible.
      // A try still in flight (or cut off by a crash) has an unknown outcome: wait for it or let
      // the tx expire. A refused try (TRY_FAILED) held nothing: it is abandoned, not confirmed.
      const pending = (await this.branches.branchesOf(txId, em)).filter((b) => b.status === 'TRYING');
      if (pending.length) {
        throw new TccConflictError(txId, 'TRYING', `Transaction ${txId} has branches whose try is still running`, {
          branches: pending.map((b) => ({ branchId: b.branchId, status: b.status })),
        });
      }
      return true;
    });
    if (!won) return this.lostCompareAndSet(txId, 'commit', isCommitDecided);
    this.logger.debug({ txId }, 'transaction confirming');
    return { txId, status: await this.completeAfterWin(txId, owner, 'CONFIRMING', failed) };
  }

  /**
   * TRYING → CANCELLING → CANCELLED (every branch cancelled). With `atOnce`, when every branch
   * is tried and co-located, the decision and every cancel are one local transaction (a crash
   * before its COMMIT leaves the tx TRYING). Idempotent once cancelling.
   */
  async rollback(txId: string, reason: CancelReason, options: { atOnce?: boolean } = {}): Promise<TxOutcome> {
    const owner = leaseOwnerId('rollback');
    const failed: FailedBranch[] = [];
    if (options.atOnce) {
      try {
        const failedAfterCancels = await this.local.rollbackAtOnce(txId, reason, this.lease(owner));
        if (!failedAfterCancels) return { txId, status: 'CANCELLED' };
        // Decided and cancelled in MySQL; the per-branch driver records and retries what failed outside it.
        return { txId, status: await this.completeAfterWin(txId, owner, 'CANCELLING', failedAfterCancels) };
      } catch (err) {
        if (err instanceof LostDecision) return this.lostCompareAndSet(txId, 'rollback', isRollbackDecided);
        if (err instanceof BranchPhaseFailed) failed.push(err.failed);
        else if (!(err instanceof NotPlain))
          this.logger.warn({ txId, err }, 'one-transaction rollback failed; cancelling branch by branch');
      }
    }
    const won = await inTransaction(this.dataSource, (em) =>
      this.transactions.startCompletion(em, txId, 'CANCELLING', this.lease(owner), reason),
    );
    if (!won) return this.lostCompareAndSet(txId, 'rollback', isRollbackDecided);
    this.logger.debug({ txId, reason }, 'transaction cancelling');
    return { txId, status: await this.completeAfterWin(txId, owner, 'CANCELLING', failed) };
  }

  async findTransaction(txId: string): Promise<TxView | null> {
    const tx = await this.transactions.findTransaction(txId);
    if (!tx) return null;
    const branches = await this.branches.branchesOf(txId);
    const { leaseOwner: _o, leaseUntil: _u, ...view } = tx;
    return {
      ...view,
      branches: branches.map(({ branchId, participant, status, attempts, lastError, createdAt, updatedAt }) => ({
        branchId,
        participant,
        status,
        attempts,
        lastError,
        createdAt,
        updatedAt,
      })),
    };
  }

  /** Status of each known tx (unknown ids are absent), for audits. */
  statusesOf(txIds: string[]): Promise<Map<string, TxStatus>> {
    return this.transactions.statusesOf([...new Set(txIds)]);
  }

  /**
   * The decision is made and durable; confirming/cancelling the branches now is best effort.
   * If that blows up (e.g. the database went away), the recovery job finishes it once our lease ends.
   */
  private async completeAfterWin(
    txId: string,
    owner: string,
    deciding: TxStatus,
    failedThisRound: FailedBranch[] = [],
  ): Promise<TxStatus> {
    try {
      return (await this.driver.completeBranches(txId, owner, failedThisRound)) ?? deciding;
    } catch (err) {
      this.logger.error({ txId, err }, 'second phase failed; left to the recovery job');
      return deciding;
    }
  }

  /** A lost compare-and-set: idempotent success if the tx already went our way, else a conflict. */
  private async lostCompareAndSet(
    txId: string,
    action: string,
    wentOurWay: (status: TxStatus) => boolean,
  ): Promise<TxOutcome> {
    const tx = await this.transactions.findTransaction(txId);
    if (!tx) throw DomainError.notFound(`Transaction ${txId}`, { txId });
    if (wentOurWay(tx.status)) return { txId, status: tx.status };
    throw new TccConflictError(txId, tx.status, `Cannot ${action} transaction ${txId}: it is ${tx.status}`);
  }

  private lease(owner: string): { owner: string; ms: number } {
    return { owner, ms: this.config.tcc.leaseMs };
  }
}

function deadlineOf(options: BeginOptions): { at: Date } | { inMs: number } {
  return options.deadlineAt
    ? { at: options.deadlineAt }
    : { inMs: Math.max(0, Math.round(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)) };
}
