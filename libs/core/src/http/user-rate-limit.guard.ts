import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { RouteCache } from './route-cache';

/**
 * Per storefront user request limit (RATE_LIMIT_USER_PER_SEC; 0 = off): one user hammering
 * checkout gets 429 RATE_LIMITED instead of crowding out everyone else. Requests without a
 * user (admin, health, the payment gateway) are not limited here. Counters live in this
 * instance's memory: with N instances behind a balancer a user gets up to N times the limit.
 *
 * Counted per user and route, as the library does, but without its per-request costs: the
 * route's throttler metadata is read once (see `rememberingReflector`) and the counter key is
 * the route prefix and user id as they are, not their SHA-256 (the counters never leave memory).
 */
@Injectable()
export class UserRateLimitGuard extends ThrottlerGuard {
  private readonly keyPrefixes = new RouteCache(
    (context) => `${context.getClass().name}-${context.getHandler().name}-`,
  );

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
  ) {
    super(options, storage, rememberingReflector(reflector));
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return Promise.resolve(!request.headers['x-user-id']);
  }

  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    return Promise.resolve(`user:${String((req as unknown as FastifyRequest).headers['x-user-id'])}`);
  }

  protected override generateKey(context: ExecutionContext, suffix: string, name: string): string {
    return `${this.keyPrefixes.get(context)}${name}-${suffix}`;
  }

  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    return Promise.reject(
      new DomainError(ErrorCode.RATE_LIMITED, 'Too many requests from this user; slow down', {
        limit: detail.limit,
        windowMs: detail.ttl,
        retryAfterMs: detail.timeToBlockExpire * 1000,
      }),
    );
  }
}

/**
 * The Reflector the library guard reads six metadata keys of every request's route through:
 * `getAllAndOverride(key, [handler, class])` answers from memory after the first read, as
 * decorator metadata never changes at run time. Every other method is the real Reflector's.
 */
function rememberingReflector(reflector: Reflector): Reflector {
  const byHandler = new WeakMap<object, WeakMap<object, Map<unknown, unknown>>>();
  const remembering = Object.create(reflector) as Reflector;
  remembering.getAllAndOverride = ((key: unknown, targets: object[]) => {
    if (targets.length !== 2 || !targets[0] || !targets[1])
      return reflector.getAllAndOverride(key as string, targets as never);
    const [handler, cls] = targets;
    let byClass = byHandler.get(handler);
    if (!byClass) byHandler.set(handler, (byClass = new WeakMap()));
    let values = byClass.get(cls);
    if (!values) byClass.set(cls, (values = new Map()));
    if (!values.has(key)) values.set(key, reflector.getAllAndOverride(key as string, targets as never));
    return values.get(key);
  }) as Reflector['getAllAndOverride'];
  return remembering;
}
