/** One pushed value of a row, serialised once for every client that gets it. */
export interface StockState {
  /** Event id: monotonic per instance. */
  id: number;
  sku: string;
  warehouse: string;
  available: number;
  soldOut: boolean;
  /** When this instance (or the one that published it) heard of the first change it reflects, ms epoch. */
  changedAt: number;
}

/** Something that receives stock states and notices (an SSE stream, a WebSocket). */
export interface StockSubscriber {
  deliver(state: StockState): void;
  notice(notice: LiveNotice): void;
}

/** Not a stock value: how the stream itself is doing. */
export interface LiveNotice {
  /** `local-only`: Redis is down, only this instance's changes are streamed (others' are polled). */
  type: 'local-only' | 'cross-instance' | 'reconnect';
  reason?: string;
}

/** Encoded once per state: thousands of clients get the same bytes (no per-socket encoding). */
const frames = new WeakMap<StockState, { sse?: Buffer; ws?: Buffer }>();

export function stockData(state: StockState): {
  sku: string;
  warehouse: string;
  available: number;
  soldOut: boolean;
  changedAt: number;
} {
  return {
    sku: state.sku,
    warehouse: state.warehouse,
    available: state.available,
    soldOut: state.soldOut,
    changedAt: state.changedAt,
  };
}

/** `id:` line, `event: stock`, `data: {sku, warehouse, available, soldOut, changedAt}`. */
export function sseFrame(state: StockState): Buffer {
  const cached = framesOf(state);
  return (cached.sse ??= Buffer.from(`id: ${state.id}\nevent: stock\ndata: ${JSON.stringify(stockData(state))}\n\n`));
}

/** `{type: 'stock', id, sku, warehouse, available, soldOut, changedAt}`. */
export function wsFrame(state: StockState): Buffer {
  const cached = framesOf(state);
  return (cached.ws ??= Buffer.from(JSON.stringify({ type: 'stock', id: state.id, ...stockData(state) })));
}

function framesOf(state: StockState): { sse?: Buffer; ws?: Buffer } {
  let cached = frames.get(state);
  if (!cached) frames.set(state, (cached = {}));
  return cached;
}

export function rowId(sku: string, warehouse: string): string {
  return `${warehouse.toLowerCase()}|${sku.toLowerCase()}`;
}
