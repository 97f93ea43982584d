import { SetMetadata } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { LocalUnit } from './local/local-unit';

/**
 * The contract between the TCC library and a domain module. The library knows nothing of
 * commerce: a module implements this interface on a provider and marks it with
 * `@TccParticipant('<name>')`; the library discovers it at start-up.
 *
 * Every method that receives an `EntityManager` runs inside ONE local DB transaction together
 * with the library's fence row (tcc_fence), so the business change and the fence commit or
 * roll back together. Use only `em` for database work inside these methods.
 */
export interface BranchContext {
  /** Global transaction id (ULID). */
  txId: string;
  /** Branch id = the freeze id, deterministic: `<txId>:<participant>` (or `<txId>:<participant>:<key>`). */
  branchId: string;
  /** Name the transaction was begun with, e.g. 'checkout' or 'refund'. */
  txName: string;
  /** Set on cancel: why the transaction is rolled back. */
  cancelReason?: CancelReason;
  /**
   * The local transaction's deferred work (hot-row sums, after-commit callbacks). Set when the
   * coordinator runs a whole phase in one local transaction, possibly shared with other
   * global transactions (group commit); absent when a phase runs alone.
   */
  local?: LocalUnit;
  /**
   * Set on the confirms of a one-transaction commit (docs/tcc.md#one-local-transaction-per-phase):
   * the same local transaction moved the branch's fence from TRIED, so this is its first confirm
   * and its rows are as its try left them. A compare-and-set whose count only tells a repeat from
   * a first run may then be queued (`local.expect(sql, params, rows, firstRun.mismatch)`) instead
   * of costing a round trip: rows that disagree roll the phase back, and the per-branch path,
   * which reads every count, decides.
   */
  firstRun?: { mismatch: () => Error };
}

/** USER: client cancelled; EXPIRED: deadline passed (recovery job); TRY_FAILED: a try was refused; OPERATOR: admin cancel. */
export type CancelReason = 'USER' | 'EXPIRED' | 'TRY_FAILED' | 'OPERATOR';

/**
 * What a participant does with its branches. The members are function-typed properties (not
 * methods) so that a handler is checked strictly against its payload: a handler of one kind of
 * a participant's payloads does not pass for the handler of all of them.
 */
export interface TccParticipantHandler<P = unknown> {
  /**
   * Reserve resources. Runs only if the fence row was newly inserted (first try, not
   * cancelled before). Throw a DomainError to refuse: the local transaction (with the fence
   * row) rolls back, the branch is TRY_FAILED and the error reaches the caller of tryBranch.
   */
  try: (em: EntityManager, ctx: BranchContext, payload: P) => Promise<void>;
  /** Make the reservation final. Runs once per branch (fence TRIED → CONFIRMED). Must not refuse. */
  confirm: (em: EntityManager, ctx: BranchContext, payload: P) => Promise<void>;
  /** Release a reservation that was tried. Runs once (fence TRIED → CANCELLED); not on an empty rollback. */
  cancel: (em: EntityManager, ctx: BranchContext, payload: P) => Promise<void>;
  /**
   * Optional: runs after every cancel attempt of the branch once its local transaction has
   * committed, including an empty rollback and a repeated cancel. For work outside MySQL
   * that must be released idempotently (e.g. a Redis reservation made before the try).
   */
  afterCancel?: (ctx: BranchContext, payload: P) => Promise<void>;
  /** Optional: runs after a confirm's local transaction committed (outside MySQL side effects). */
  afterConfirm?: (ctx: BranchContext, payload: P) => Promise<void>;
  /**
   * Optional: false for a branch whose work is not in this service's MySQL (e.g. a gateway
   * payment). Such a branch keeps a local transaction of its own per phase; co-located
   * branches (the default) share one per phase.
   */
  isColocated?: (payload: P) => boolean;
}

/**
 * The payload type of each participant, by name. The library declares none; each lib that
 * registers a participant adds its own next to its name constant:
 *
 *   declare module '@app/tcc' { interface TccPayloads { inventory: InventoryBranchPayload } }
 *
 * `tryBranch`, `beginWithBranches`, `commit`'s `last` and `@TccParticipant` then compile only
 * with a registered name and a payload (or handler) of its type.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TccPayloads {}

/** The name of a participant some lib registered in `TccPayloads`. */
export type ParticipantName = Extract<keyof TccPayloads, string>;

/** The payload of participant `N`. */
export type PayloadOf<N extends ParticipantName> = TccPayloads[N];

/** A branch to add: a participant, a payload of its type and (for two of one participant) a key. */
export type BranchSpec = {
  [N in ParticipantName]: { participant: N; payload: TccPayloads[N]; key?: string };
}[ParticipantName];

export const TCC_PARTICIPANT = 'tcc:participant';

/** Marks a provider as the handler of TCC branches of participant `name` (its payloads: `TccPayloads[name]`). */
export function TccParticipant<N extends ParticipantName>(name: N) {
  return (target: new (...args: never[]) => TccParticipantHandler<TccPayloads[N]>): void => {
    SetMetadata(TCC_PARTICIPANT, name)(target);
  };
}
