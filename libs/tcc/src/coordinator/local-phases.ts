import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { branchIdOf } from '../branch-id';
import { FenceRepository } from '../fence/fence.repository';
import { GroupCommit } from '../local/group-commit';
import type { LocalUnit } from '../local/local-unit';
import type { BranchContext, BranchSpec, CancelReason, TccParticipantHandler } from '../participant';
import { ParticipantRegistry } from '../participants/participant.registry';
import { BranchRepository } from '../repositories/branch.repository';
import { BranchRow, TransactionRepository } from '../repositories/transaction.repository';
import { tccMetrics } from '../tcc.metrics';
import type { FailedBranch } from './transaction-driver';

interface Planned {
  participant: string;
  branchId: string;
  payload: unknown;
  payloadJson: string;
  handler: TccParticipantHandler;
}

/** The tx is no longer TRYING: another commit, rollback or expiry decided it first. */
export class LostDecision extends Error {}

/** A branch is not in the plain state (tried, co-located): the per-branch path handles it. */
export class NotPlain extends Error {}

/** A confirm of `commitAtOnce` found its rows other than its fence says: the per-branch path decides. */
const FIRST_CONFIRM: BranchContext['firstRun'] = { mismatch: () => new NotPlain() };

/** A branch's confirm (or cancel) threw inside a one-transaction phase: the round failed for it. */
export class BranchPhaseFailed extends Error {
  constructor(readonly failed: FailedBranch) {
    super(
      `${failed.phase} of branch ${failed.branchId} failed: ${failed.error instanceof Error ? failed.error.message : String(failed.error)}`,
    );
  }
}

/** The try of the branch added at commit refused: the commit did not happen, the error is the answer. */
export class LastTryRefused extends Error {
  constructor(readonly refusal: unknown) {
    super('last branch try refused');
  }
}

/**
 * Each phase of co-located branches in ONE local transaction (the fences of docs/tcc.md#fences
 * unchanged, one row per branch): begin + every try; decide + every confirm; decide + every cancel. The
 * participants still get one call each, with the shared `em` and the local unit, so a hot
 * row's update is deferred to the end and summed across group-committed transactions.
 */
@Injectable()
export class LocalPhases {
  private readonly logger = new Logger(LocalPhases.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRepository,
    private readonly branches: BranchRepository,
    private readonly fences: FenceRepository,
    private readonly participants: ParticipantRegistry,
    private readonly group: GroupCommit,
  ) {}

  /**
   * The tx row, its branches and fences (TRIED) and every try, all or nothing. On a refusal
   * nothing reached MySQL; work outside it (a Redis hold) is given back by each branch's
   * afterCancel, as after an empty rollback, and the refusal is rethrown.
   */
  async beginAndTry(
    tx: { txId: string; name: string; deadline: { at: Date } | { inMs: number } },
    branches: BranchSpec[],
    batchKey: string | null,
  ): Promise<void> {
    const planned = branches.map((b) => this.plan(tx.txId, b));
    const nonLocal = planned.find((b) => b.handler.isColocated?.(b.payload) === false);
    if (nonLocal) throw new Error(`Branch ${nonLocal.branchId} is not co-located; add it with tryBranch`);
    let current: Planned | null = null;
    try {
      await this.group.run('try', batchKey, async (em, local) => {
        this.transactions.queueTriedTransaction(local, tx, planned);
        for (const b of planned) {
          current = b;
          await b.handler.try(em, contextOf(tx.txId, tx.name, b.branchId, local), b.payload);
        }
        current = null;
      });
    } catch (err) {
      tccMetrics.branchFailures.inc({
        participant: (current as Planned | null)?.participant ?? 'deferred',
        phase: 'try',
      });
      await this.releaseOutsideMysql(tx.txId, tx.name, planned);
      throw err;
    }
  }

  /**
   * TRYING → CONFIRMED with every branch confirmed, in one local transaction; `last` (if any)
   * is tried first in it, so its refusal leaves the tx TRYING and untouched. Throws
   * LostDecision or NotPlain (nothing changed) for the caller's per-branch path.
   */
  async commitAtOnce(txId: string, last: BranchSpec | undefined, batchKey: string | null): Promise<void> {
    const confirmed = await this.group.run('commit', batchKey, async (em, local) => {
      const decided = await this.transactions.confirmAndRead(em, txId);
      if (!decided) throw new LostDecision();
      const { name, branches } = this.plain(decided);
      // Decided with the batch's writes; a surprise (a branch moved meanwhile) takes the per-branch path.
      this.transactions.queueMoveAllTried(local, txId, 'CONFIRMED', branches.length, () => new NotPlain());
      if (last) branches.push(await this.tryLast(em, txId, name, last, local, branches));
      for (const b of branches) {
        const ctx = { ...contextOf(txId, name, b.branchId, local), firstRun: FIRST_CONFIRM };
        await b.handler.confirm(em, ctx, b.payload).catch((error: unknown) => {
          throw new BranchPhaseFailed({ branchId: b.branchId, phase: 'confirm', error });
        });
      }
      return { name, branches };
    });
    tccMetrics.finished.inc({ name: confirmed.name, status: 'CONFIRMED' });
    this.logger.log({ txId, name: confirmed.name, status: 'CONFIRMED' }, 'transaction finished');
    for (const b of confirmed.branches) {
      if (!b.handler.afterConfirm) continue;
      await b.handler
        .afterConfirm(contextOf(txId, confirmed.name, b.branchId), b.payload)
        .catch((err: unknown) => this.logger.error({ txId, branchId: b.branchId, err }, 'afterConfirm failed'));
    }
  }

  /**
   * TRYING → CANCELLING with every branch cancelled in one local transaction; then each
   * afterCancel, and CANCELLED. The branch rows stay TRIED until their afterCancel succeeded, so
   * a crash in between repeats it. Returns the afterCancel failures of this round (the caller,
   * holding the lease, hands them to the per-branch driver, which retries them) or null when done.
   */
  async rollbackAtOnce(
    txId: string,
    reason: CancelReason,
    lease: { owner: string; ms: number },
  ): Promise<FailedBranch[] | null> {
    const { name, branches } = await this.group.run('cancel', null, async (em, local) => {
      if (!(await this.transactions.startCompletion(em, txId, 'CANCELLING', lease, reason))) throw new LostDecision();
      const plain = this.plain(await this.transactions.nameAndBranches(em, txId));
      await this.moveFences(em, txId, plain.branches, 'CANCELLED');
      for (const b of [...plain.branches].reverse()) {
        await b.handler
          .cancel(em, { ...contextOf(txId, plain.name, b.branchId, local), cancelReason: reason }, b.payload)
          .catch((error: unknown) => {
            throw new BranchPhaseFailed({ branchId: b.branchId, phase: 'cancel', error });
          });
      }
      return plain;
    });
    const failed: FailedBranch[] = [];
    for (const b of [...branches].reverse()) {
      try {
        await b.handler.afterCancel?.({ ...contextOf(txId, name, b.branchId), cancelReason: reason }, b.payload);
        await this.branches.markBranch(this.dataSource.manager, b.branchId, 'CANCELLED');
      } catch (error) {
        failed.push({ branchId: b.branchId, phase: 'cancel', error });
      }
    }
    if (failed.length) return failed;
    await this.transactions.finish(txId, 'CANCELLING');
    tccMetrics.finished.inc({ name, status: 'CANCELLED' });
    this.logger.log({ txId, name, status: 'CANCELLED', cancelReason: reason }, 'transaction finished');
    return null;
  }

  /** Every branch TRIED and co-located, or NotPlain. */
  private plain(found: { name: string; branches: BranchRow[] } | null): { name: string; branches: Planned[] } {
    if (!found) throw new LostDecision();
    const branches = found.branches.map((b) => this.planned(b));
    if (
      found.branches.some((b) => b.status !== 'TRIED') ||
      branches.some((b) => b.handler.isColocated?.(b.payload) === false)
    ) {
      throw new NotPlain();
    }
    return { name: found.name, branches };
  }

  private async tryLast(
    em: EntityManager,
    txId: string,
    name: string,
    last: BranchSpec,
    local: LocalUnit,
    others: Planned[],
  ): Promise<Planned> {
    const b = this.plan(txId, last);
    if (b.handler.isColocated?.(b.payload) === false || others.some((o) => o.branchId === b.branchId))
      throw new NotPlain();
    this.branches.queueConfirmedBranch(local, txId, b);
    try {
      await b.handler.try(em, contextOf(txId, name, b.branchId, local), b.payload);
    } catch (err) {
      tccMetrics.branchFailures.inc({ participant: b.participant, phase: 'try' });
      throw new LastTryRefused(err);
    }
    return b;
  }

  private async moveFences(
    em: EntityManager,
    txId: string,
    branches: Planned[],
    to: 'CONFIRMED' | 'CANCELLED',
  ): Promise<void> {
    if ((await this.fences.moveAllFromTried(em, txId, to)) !== branches.length) throw new NotPlain();
  }

  private async releaseOutsideMysql(txId: string, txName: string, planned: Planned[]): Promise<void> {
    for (const b of [...planned].reverse()) {
      await b.handler
        .afterCancel?.({ ...contextOf(txId, txName, b.branchId), cancelReason: 'TRY_FAILED' }, b.payload)
        .catch((err: unknown) =>
          this.logger.warn({ txId, branchId: b.branchId, err }, 'release after a refused try failed'),
        );
    }
  }

  private plan(txId: string, spec: BranchSpec): Planned {
    return {
      participant: spec.participant,
      branchId: branchIdOf(txId, spec.participant, spec.key),
      payload: spec.payload,
      payloadJson: JSON.stringify(spec.payload ?? null),
      handler: this.participants.require(spec.participant),
    };
  }

  private planned(row: BranchRow): Planned {
    return { ...row, payloadJson: '', handler: this.participants.require(row.participant) };
  }
}

function contextOf(txId: string, txName: string, branchId: string, local?: LocalUnit): BranchContext {
  return { txId, branchId, txName, local };
}
