import { applyDecorators, SetMetadata, Type } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { DomainError } from '../errors/domain-error';

export const IDEMPOTENT_KEY = 'idempotency:options';

/** What an `Idempotency-Key` may be: 1-128 printable ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

export interface IdempotentOptions {
  /**
   * Also consult MySQL when Redis has no record (survives a Redis flush), and write the
   * durable record there. Off for the checkout hot path, whose durable guard is the order
   * row's unique (user, key): its response is kept in Redis only.
   */
  lookupDurable?: boolean;
  /**
   * A provider that can refuse the request from memory before any idempotency work (e.g.
   * checkout of a sold-out sku). Its refusal is answered at the cost of one Redis read that
   * makes sure this key has no earlier response to replay; a request it lets pass runs as usual.
   * It is taken before Nest's pipeline (EarlyRefusalHook), and again in the interceptor for a
   * request that reached Nest anyway.
   */
  refuseEarly?: Type<EarlyRefusal>;
}

/** See IdempotentOptions.refuseEarly. Must change nothing; null lets the request through. */
export interface EarlyRefusal {
  refusal(request: { body: unknown; headers: Record<string, unknown> }): Promise<DomainError | null>;
  /** The refusal was the answer (it is asked for more often than it answers): count it here. */
  refused?(error: DomainError): void;
}

/** The route requires an `Idempotency-Key` header and replays its first successful response. */
export const Idempotent = (options: IdempotentOptions = {}) =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_KEY, { lookupDurable: true, ...options }),
    ApiHeader({ name: 'Idempotency-Key', required: true, description: '1-128 chars; replays the first response' }),
  );
