import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';

export const IDEMPOTENT_KEY = 'idempotency:options';

export interface IdempotentOptions {
  /**
   * Also consult MySQL when Redis has no record (survives a Redis flush), and write the
   * durable record there. Off for the checkout hot path, whose durable guard is the order
   * row's unique (user, key): its response is kept in Redis only.
   */
  lookupDurable?: boolean;
}

/** The route requires an `Idempotency-Key` header and replays its first successful response. */
export const Idempotent = (options: IdempotentOptions = {}) =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_KEY, { lookupDurable: true, ...options }),
    ApiHeader({ name: 'Idempotency-Key', required: true, description: '1-128 chars; replays the first response' }),
  );
