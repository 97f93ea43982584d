import { createHash } from 'crypto';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { from, lastValueFrom, Observable, throwError } from 'rxjs';
import { sleep } from '../async/poll';
import { AuthedRequest, readUserId } from '../auth/auth.decorators';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { RouteCache } from '../http/route-cache';
import { ClaimedRequest, IdempotencyClaim } from './idempotency-claim';
import { userScope } from './idempotency-epoch';
import { AcquiredVia, IdempotencyStore } from './idempotency.store';
import { EarlyRefusal, IDEMPOTENCY_KEY_PATTERN, IDEMPOTENT_KEY, IdempotentOptions } from './idempotent.decorator';

const WAIT_STEP_MS = 25;
const WAIT_MAX_MS = 10_000;

/** Canonical JSON: same body with keys in another order hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** A key taken in MySQL (Redis was down) is completed there too, whatever the route's own guard. */
function durableRecord(options: IdempotentOptions, via: AcquiredVia): boolean {
  return (options.lookupDurable ?? true) || via !== 'redis';
}

/**
 * `Idempotency-Key` per the REST contract (docs/api.md#idempotency-key): the first request
 * runs; a repeat with the same body gets the first response again (`Idempotent-Replayed:
 * true`); a different body gets 422; a concurrent duplicate waits for the first or gets 409
 * while it is still running.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly routes: RouteCache<{
    options: IdempotentOptions | undefined;
    statusCode: number | undefined;
    early: EarlyRefusal | null;
  }>;

  constructor(
    reflector: Reflector,
    private readonly store: IdempotencyStore,
    moduleRef: ModuleRef,
  ) {
    this.routes = new RouteCache((context) => {
      const options = reflector.get<IdempotentOptions | undefined>(IDEMPOTENT_KEY, context.getHandler());
      return {
        options,
        statusCode: reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()),
        early: options?.refuseEarly ? moduleRef.get(options.refuseEarly, { strict: false }) : null,
      };
    });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.routes.get(context);
    if (!route.options) return next.handle();

    const http = context.switchToHttp();
    const request = http.getRequest<AuthedRequest>();
    const rawKey = request.headers['idempotency-key'];
    const key = Array.isArray(rawKey) ? rawKey[0] : rawKey;
    if (!key) return throwError(() => DomainError.validation('Idempotency-Key header is required'));
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      return throwError(() => DomainError.validation('Idempotency-Key must be 1-128 printable ASCII characters'));
    }

    const scope =
      request.principal?.scope === 'storefront'
        ? userScope(readUserId(request))
        : `k:${request.principal?.keyId ?? 'anon'}`;
    const statusCode = route.statusCode ?? (request.method === 'POST' ? 201 : 200);
    // One promise instead of a chain of operators: a refusal passes here on every flash-sale request.
    const run = async () => {
      if (route.early) await this.refuseEarly(route.early, request, scope, key);
      const routePath = request.routeOptions?.url ?? request.url;
      const hash = createHash('sha256')
        .update(`${request.method} ${routePath} ${canonical(request.params)} ${canonical(request.body)}`)
        .digest('hex');
      return this.runOnce(
        request as ClaimedRequest,
        { scope, key, hash, statusCode },
        route.options!,
        http.getResponse<FastifyReply>(),
        next,
      );
    };
    return from(run());
  }

  /**
   * Throws the early refusal, unless this key may have a response to replay: Redis holds a
   * record of it, or Redis cannot vouch that it knows every used key (IdempotencyEpoch).
   */
  private async refuseEarly(early: EarlyRefusal, request: AuthedRequest, scope: string, key: string): Promise<void> {
    const refusal = await early.refusal(request);
    if (!refusal || !(await this.store.isUnused(scope, key))) return;
    early.refused?.(refusal);
    throw refusal;
  }

  private async runOnce(
    request: ClaimedRequest,
    { scope, key, hash, statusCode }: { scope: string; key: string; hash: string; statusCode: number },
    options: IdempotentOptions,
    reply: FastifyReply,
    next: CallHandler,
  ): Promise<unknown> {
    const outcome = await this.acquire(scope, key, hash, options);
    if (outcome.kind === 'replay') {
      void reply.header('Idempotent-Replayed', 'true');
      void reply.status(outcome.response.statusCode);
      return outcome.response.body;
    }
    const claim = new IdempotencyClaim(
      this.store,
      scope,
      key,
      hash,
      outcome.attemptId,
      statusCode,
      outcome.keyMayBeUsed,
    );
    request.idempotencyClaim = claim;
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (err) {
      await this.store.abandon(scope, key, outcome.via);
      throw err;
    }
    const durable = durableRecord(options, outcome.via) && !claim.isRecorded;
    await this.store.complete(scope, key, hash, { statusCode, body }, durable);
    return body;
  }

  private async acquire(scope: string, key: string, hash: string, options: IdempotentOptions) {
    const deadline = Date.now() + WAIT_MAX_MS;
    for (;;) {
      const outcome = await this.store.begin(scope, key, hash, options.lookupDurable ?? true);
      if (outcome.kind === 'mismatch') {
        throw new DomainError(
          ErrorCode.IDEMPOTENCY_KEY_REUSED,
          'Idempotency-Key was already used with a different request',
        );
      }
      if (outcome.kind === 'acquired' || outcome.kind === 'replay') return outcome;
      if (Date.now() >= deadline) {
        throw DomainError.conflict('A request with this Idempotency-Key is still in progress; retry later');
      }
      await sleep(WAIT_STEP_MS);
    }
  }
}
