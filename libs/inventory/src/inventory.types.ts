/** One line of an order or a stock operation. */
export interface StockLine {
  sku: string;
  qty: number;
}

/** TCC payloads of participant `inventory` (docs/module-contracts.md). */
export interface FreezePayload {
  kind: 'freeze';
  warehouse: string;
  userId: string;
  lines: StockLine[];
}

export interface RestockPayload {
  kind: 'restock';
  warehouse: string;
  lines: StockLine[];
  /** Reference written to the ledger (e.g. the refunded order id). */
  ref: string;
}

export type InventoryBranchPayload = FreezePayload | RestockPayload;

export type MovementReason =
  'INBOUND' | 'OUTBOUND' | 'STOCKTAKE' | 'TRANSFER_IN' | 'TRANSFER_OUT' | 'RESERVE' | 'COMMIT' | 'RELEASE' | 'RESTOCK';

export type FreezeState = 'FROZEN' | 'CONFIRMED' | 'RELEASED';

/** A row of `stock` as read from MySQL. */
export interface StockRow {
  sku: string;
  warehouse: string;
  onHand: number;
  reserved: number;
  threshold: number;
}

/** A stock row and the version it was read at (null: no such row yet; it reads as empty). */
export interface VersionedRow extends StockRow {
  version: number | null;
}

/** One ledger entry to write. */
export interface Movement {
  sku: string;
  warehouse: string;
  reason: MovementReason;
  ref: string;
  deltaOnHand: number;
  deltaReserved: number;
}

export interface RowKey {
  sku: string;
  warehouse: string;
}

/** Lines sorted by sku: every statement that locks several stock rows locks them in this order. */
export function sortedLines<T extends { sku: string }>(lines: readonly T[]): T[] {
  return [...lines].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}
