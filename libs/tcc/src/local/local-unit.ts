import type { EntityManager } from 'typeorm';

/** Writes one sum to its hot row: a conditional UPDATE that throws (a DomainError) to refuse. */
export type ApplySum = (em: EntityManager, total: number) => Promise<void>;

/**
 * What a participant may defer to the end of the local transaction it runs in. Several
 * global transactions can share one local transaction (group commit): a hot row is then
 * updated ONCE for the sum of their amounts, as the last statement before COMMIT, so its
 * lock is held for that statement and the commit only.
 */
export interface LocalUnit {
  /**
   * Adds `amount` to the sum called `name`. After every member's work, `apply(em, total)` runs
   * once per name, in name order (a fixed lock order). A refusal fails every member that
   * added to it; the group is then re-run one member per local transaction.
   */
  addToSum(name: string, amount: number, apply: ApplySum): void;
  /** Runs once the local transaction committed (never if it rolled back): metrics, logs, events. */
  afterCommit(fn: () => unknown): void;
}

/** One member's deferred work; dropped with the member if its work fails. */
export class MemberUnit implements LocalUnit {
  readonly sums = new Map<string, { amount: number; apply: ApplySum }>();
  readonly callbacks: Array<() => unknown> = [];

  addToSum(name: string, amount: number, apply: ApplySum): void {
    const sum = this.sums.get(name);
    if (sum) sum.amount += amount;
    else this.sums.set(name, { amount, apply });
  }

  afterCommit(fn: () => unknown): void {
    this.callbacks.push(fn);
  }
}

/** Applies the sums of these members, one UPDATE per name, in name order. */
export async function applySums(em: EntityManager, units: MemberUnit[]): Promise<void> {
  const totals = new Map<string, { amount: number; apply: ApplySum }>();
  for (const unit of units) {
    for (const [name, sum] of unit.sums) {
      const total = totals.get(name);
      if (total) total.amount += sum.amount;
      else totals.set(name, { ...sum });
    }
  }
  for (const name of [...totals.keys()].sort()) {
    const { amount, apply } = totals.get(name)!;
    await apply(em, amount);
  }
}

/** Runs a committed member's callbacks; one failing never stops the others or undoes the commit. */
export async function runAfterCommit(unit: MemberUnit, onError: (err: unknown) => void): Promise<void> {
  for (const fn of unit.callbacks) {
    try {
      await fn();
    } catch (err) {
      onError(err);
    }
  }
}

/**
 * For participant code that may also run outside a coordinator's local unit (a test calling a
 * handler with its own `em`): defer to the unit when there is one, else apply right away.
 */
export async function addToSumOrApply(em: EntityManager, local: LocalUnit | undefined, name: string, amount: number, apply: ApplySum): Promise<void> {
  if (local) local.addToSum(name, amount, apply);
  else await apply(em, amount);
}

/**
 * After-commit work, or, without a unit (the caller owns the transaction and its commit), the
 * `inTransaction` alternative run right away on the caller's `em`: work on another connection
 * could wait for a lock this transaction holds.
 */
export async function afterLocalCommit(
  em: EntityManager,
  local: LocalUnit | undefined,
  afterCommit: () => unknown,
  inTransaction: (em: EntityManager) => unknown = afterCommit,
): Promise<void> {
  if (local) local.afterCommit(afterCommit);
  else await inTransaction(em);
}
