import { DomainError, SKU_PATTERN } from '@app/core';
import type { StockLine } from './inventory.types';

/**
 * Lines come from another module (the gate's caller, or the TCC branch row): check their shape
 * once more. The sku pattern also keeps Redis key names (and their {hash tags}) well formed.
 */
export function validLines(lines: unknown): StockLine[] {
  if (!Array.isArray(lines) || lines.length === 0) throw DomainError.validation('Stock lines must be a non-empty list');
  const seen = new Set<string>();
  for (const line of lines as StockLine[]) {
    if (
      typeof line?.sku !== 'string' ||
      !SKU_PATTERN.test(line.sku) ||
      !Number.isSafeInteger(line.qty) ||
      line.qty < 1
    ) {
      throw DomainError.validation('Each stock line needs a sku and a positive integer qty', { line });
    }
    // without case, like MySQL: `A-1` and `a-1` are one stock row (and one Redis key)
    const folded = line.sku.toLowerCase();
    if (seen.has(folded)) throw DomainError.validation(`Duplicate sku ${line.sku}`, { sku: line.sku });
    seen.add(folded);
  }
  return lines as StockLine[];
}
