import { AppConfig, DomainError, ErrorCode, type Scope } from '@app/core';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The API-key check for connections that do not pass through the HTTP guard (WebSocket
 * upgrades): the key from `Authorization: Bearer <key>` or, for browsers that cannot set
 * headers on a WebSocket, `?key=<key>`. Same answers as the guard: 401 unknown, 403 scope.
 */
export function requireKeyScope(config: AppConfig, header: unknown, queryKey: string | null, scope: Scope): void {
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  const key = match?.[1] ?? queryKey;
  const found = key ? config.auth.keys.get(key) : undefined;
  if (!found) throw new DomainError(ErrorCode.UNAUTHORIZED, 'Missing or unknown API key');
  if (found !== scope) throw new DomainError(ErrorCode.FORBIDDEN, `This route needs an API key of scope ${scope}`);
}
