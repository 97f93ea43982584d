import { DomainError } from '@app/core';

/** At most this many skus per stream or per socket. */
export const MAX_SKUS = 50;
const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const WAREHOUSE = /^[A-Za-z0-9_-]{1,32}$/;

/** The skus of a request, each once (letter case folded), or 400 naming what is wrong. */
export function parseSkus(raw: unknown, already = 0): string[] {
  const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : null;
  if (!list || list.length === 0) throw DomainError.validation('skus: give 1-50 skus');
  const skus = new Map<string, string>();
  for (const item of list) {
    const sku = typeof item === 'string' ? item.trim() : '';
    if (!SKU.test(sku)) throw DomainError.validation('skus: each sku is 1-64 characters of [A-Za-z0-9._-]', { sku: String(item).slice(0, 80) });
    skus.set(sku.toLowerCase(), sku);
  }
  if (skus.size + already > MAX_SKUS) throw DomainError.validation(`skus: at most ${MAX_SKUS} skus per stream`, { count: skus.size + already });
  return [...skus.values()];
}

export function parseWarehouse(raw: unknown, fallback: string): string {
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (typeof raw !== 'string' || !WAREHOUSE.test(raw)) throw DomainError.validation('warehouse: 1-32 characters of [A-Za-z0-9_-]');
  return raw;
}
