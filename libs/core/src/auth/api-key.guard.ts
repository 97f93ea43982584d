import { createHash } from 'crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig, Scope } from '../config/app-config';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { RouteCache } from '../http/route-cache';
import { AuthedRequest, Principal, PUBLIC_KEY, SCOPE_KEY } from './auth.decorators';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Bearer-key auth from memory (no I/O on the hot path). Routes without a scope and not
 * marked public are refused: forgetting the decorator fails closed.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  /** Per key, the one (frozen) principal every request with it shares. */
  private readonly principals = new Map<string, Principal>();
  /** The usual header spelling, `Bearer <key>`, found without running the pattern. */
  private readonly byHeader = new Map<string, Principal>();
  private readonly routes: RouteCache<{ isPublic: boolean; required: Scope | undefined }>;

  constructor(reflector: Reflector, config: AppConfig) {
    for (const [key, scope] of config.auth.keys) {
      const keyId = `${scope}:${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
      const principal = Object.freeze({ scope, keyId });
      this.principals.set(key, principal);
      this.byHeader.set(`Bearer ${key}`, principal);
    }
    this.routes = new RouteCache((context) => {
      const targets = [context.getHandler(), context.getClass()];
      return {
        isPublic: reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) === true,
        required: reflector.getAllAndOverride<Scope>(SCOPE_KEY, targets),
      };
    });
  }

  canActivate(context: ExecutionContext): boolean {
    const { isPublic, required } = this.routes.get(context);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const principal = this.principalOf(request.headers.authorization);
    if (!principal) throw new DomainError(ErrorCode.UNAUTHORIZED, 'Missing or unknown API key');
    if (!required || principal.scope !== required) {
      throw new DomainError(ErrorCode.FORBIDDEN, `This route needs an API key of scope ${required ?? 'none'}`);
    }
    request.principal = principal;
    return true;
  }

  private principalOf(header: unknown): Principal | undefined {
    if (typeof header !== 'string') return undefined;
    const exact = this.byHeader.get(header);
    if (exact) return exact;
    const match = BEARER.exec(header);
    return match ? this.principals.get(match[1]) : undefined;
  }
}
