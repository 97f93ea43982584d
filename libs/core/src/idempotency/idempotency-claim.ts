import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { IdempotencyStore, StoredResponse } from './idempotency.store';

/**
 * The hold an idempotent request has on its key, handed to the route by `@Claim()`. A route
 * that changes state in one local transaction records its response there (`recordIn`): the
 * change and the key's durable record commit together, so a retry after a crash between the
 * two is a replay, never a second change.
 */
export class IdempotencyClaim {
  private recorded = false;

  constructor(
    private readonly store: IdempotencyStore,
    readonly scope: string,
    readonly key: string,
    readonly hash: string,
    /** The MySQL attempt that holds the key; null when only Redis holds it. */
    readonly attemptId: string | null,
    readonly statusCode: number,
    /** Redis cannot vouch that this key is new (see IdempotencyEpoch): a route whose own rows guard the key looks there first. */
    readonly keyMayBeUsed: boolean,
  ) {}

  /** Writes `body` as this key's response inside `em`'s transaction (again on a deadlock retry). */
  async recordIn(em: EntityManager, body: unknown): Promise<void> {
    const response: StoredResponse = { statusCode: this.statusCode, body };
    await this.store.completeIn(em, this, response);
    this.recorded = true;
  }

  /** The response went into the business transaction: only the Redis copy is left to write. */
  get isRecorded(): boolean {
    return this.recorded;
  }
}

export type ClaimedRequest = { idempotencyClaim?: IdempotencyClaim };

/** The route's `IdempotencyClaim` (null on a route without `@Idempotent()`). */
export const Claim = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): IdempotencyClaim | null =>
    ctx.switchToHttp().getRequest<ClaimedRequest>().idempotencyClaim ?? null,
);
