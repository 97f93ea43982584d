import { DomainError, ruleOf, SKU_PATTERN, WAREHOUSE_PATTERN } from '@app/core';

/** At most this many skus per stream or per socket. */
export const MAX_SKUS = 50;

/** The skus of a request, each once (letter case folded), or 400 naming what is wrong. */
export function parseSkus(raw: unknown, already = 0): string[] {
  const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : null;
  if (!list || list.length === 0) throw DomainError.validation('skus: give 1-50 skus');
  const skus = new Map<string, string>();
  for (const item of list) {
    const sku = typeof item === 'string' ? item.trim() : '';
    if (!SKU_PATTERN.test(sku))
      throw DomainError.validation(`skus: each sku is ${ruleOf(SKU_PATTERN)}`, { sku: String(item).slice(0, 80) });
    skus.set(sku.toLowerCase(), sku);
  }
  if (skus.size + already > MAX_SKUS)
    throw DomainError.validation(`skus: at most ${MAX_SKUS} skus per stream`, { count: skus.size + already });
  return [...skus.values()];
}

export function parseWarehouse(raw: unknown, fallback: string): string {
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (typeof raw !== 'string' || !WAREHOUSE_PATTERN.test(raw))
    throw DomainError.validation(`warehouse: ${ruleOf(WAREHOUSE_PATTERN)}`);
  return raw;
}
