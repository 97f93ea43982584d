import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash } from 'crypto';
import { AppConfig, Scope } from '../config/app-config';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { AuthedRequest, PUBLIC_KEY, SCOPE_KEY } from './auth.decorators';

/**
 * Bearer-key auth from memory (no I/O on the hot path). Routes without a scope and not
 * marked public are refused: forgetting the decorator fails closed.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keyIds = new Map<string, string>();

  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {
    for (const [key, scope] of config.auth.keys) {
      this.keyIds.set(key, `${scope}:${createHash('sha256').update(key).digest('hex').slice(0, 12)}`);
    }
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const required = this.reflector.getAllAndOverride<Scope>(SCOPE_KEY, targets);

    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const scope = match ? this.config.auth.keys.get(match[1]) : undefined;
    if (!match || !scope) throw new DomainError(ErrorCode.UNAUTHORIZED, 'Missing or unknown API key');
    if (!required || scope !== required) {
      throw new DomainError(ErrorCode.FORBIDDEN, `This route needs an API key of scope ${required ?? 'none'}`);
    }
    request.principal = { scope, keyId: this.keyIds.get(match[1])! };
    return true;
  }
}
