import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Scope } from '../config/app-config';
import { DomainError } from '../errors/domain-error';
import { patternMessage, USER_ID_PATTERN } from '../ids/id-patterns';

export const SCOPE_KEY = 'auth:scope';
export const PUBLIC_KEY = 'auth:public';

/** Marks a controller or route as needing an API key of this scope. */
export const RequireScope = (scope: Scope) => applyDecorators(SetMetadata(SCOPE_KEY, scope), ApiBearerAuth());

/** No API key needed (health, metrics, the payment callback which signs its body instead). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export interface Principal {
  scope: Scope;
  /** Stable, non-secret id of the key (used to scope idempotency keys per admin key). */
  keyId: string;
}

export type AuthedRequest = FastifyRequest & { principal?: Principal };

export function readUserId(request: FastifyRequest): string {
  const raw = request.headers['x-user-id'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) throw DomainError.validation('X-User-Id header is required');
  if (!USER_ID_PATTERN.test(value)) throw DomainError.validation(patternMessage('X-User-Id', USER_ID_PATTERN));
  return value;
}

/** The storefront user on whose behalf the request acts (header `X-User-Id`). */
export const UserId = createParamDecorator((_: unknown, ctx: ExecutionContext) =>
  readUserId(ctx.switchToHttp().getRequest<FastifyRequest>()),
);

/** Documents the X-User-Id header on a storefront route. */
export const ApiUserHeader = () =>
  ApiHeader({ name: 'X-User-Id', required: true, description: 'Storefront user, 1-64 chars [A-Za-z0-9_-]' });
