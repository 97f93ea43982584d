import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

/**
 * Per storefront user request limit (RATE_LIMIT_USER_PER_SEC; 0 = off): one user hammering
 * checkout gets 429 RATE_LIMITED instead of crowding out everyone else. Requests without a
 * user (admin, health, the payment gateway) are not limited here. Counters live in this
 * instance's memory: with N instances behind a balancer a user gets up to N times the limit.
 */
@Injectable()
export class UserRateLimitGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return !request.headers['x-user-id'];
  }

  protected override async getTracker(req: Record<string, any>): Promise<string> {
    return `user:${String(req.headers['x-user-id'])}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new DomainError(ErrorCode.RATE_LIMITED, 'Too many requests from this user; slow down', {
      limit: detail.limit,
      windowMs: detail.ttl,
      retryAfterMs: detail.timeToBlockExpire * 1000,
    });
  }
}
