import { DomainError, ErrorCode } from '@app/core';

/** 409 INSUFFICIENT_STOCK, the same shape whichever level (memory, Redis, MySQL, admin) refused. */
export function insufficientStock(
  sku: string,
  warehouse: string,
  requested: number,
  extra: Record<string, unknown> = {},
): DomainError {
  return new DomainError(ErrorCode.INSUFFICIENT_STOCK, `Not enough stock of ${sku} in ${warehouse}`, {
    sku,
    warehouse,
    requested,
    ...extra,
  });
}

/** 409 PURCHASE_LIMIT_EXCEEDED: the user would hold more of the sku than product.maxPerUser. */
export function purchaseLimitExceeded(sku: string, maxPerUser: number, requested: number): DomainError {
  return new DomainError(ErrorCode.PURCHASE_LIMIT_EXCEEDED, `At most ${maxPerUser} of ${sku} per user`, {
    sku,
    maxPerUser,
    requested,
  });
}
