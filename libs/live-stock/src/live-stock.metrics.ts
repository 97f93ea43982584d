import { counter, gauge, histogram } from '@app/core';

export const liveConnections = gauge({
  name: 'live_stock_connections',
  help: 'Open live connections of this instance, by kind (sse, ws, admin)',
  labelNames: ['kind'] as const,
});

type LiveKind = 'sse' | 'ws' | 'admin';

/** Events written since the last scrape: a push writes to thousands of clients, and a labelled inc per write showed in its profile. */
const unsentCounts: Record<LiveKind, number> = { sse: 0, ws: 0, admin: 0 };

export const liveEventsSent = counter({
  name: 'live_stock_events_sent_total',
  help: 'Events written to live connections, by kind (sse, ws, admin)',
  labelNames: ['kind'] as const,
  collect() {
    for (const kind of Object.keys(unsentCounts) as LiveKind[]) {
      if (unsentCounts[kind] === 0) continue;
      this.inc({ kind }, unsentCounts[kind]);
      unsentCounts[kind] = 0;
    }
  },
});

/** One event written to a live connection (added to `live_stock_events_sent_total` when it is read). */
export function countEventSent(kind: LiveKind): void {
  unsentCounts[kind]++;
}

export const liveDrops = counter({
  name: 'live_stock_drops_total',
  help: 'Live connections closed by the server, by reason (slow_consumer, over_cap, shutdown)',
  labelNames: ['reason'] as const,
});

export const liveReads = counter({
  name: 'live_stock_reads_total',
  help: 'Stock reads of the live hub (at most one per coalescing tick per subscribed row)',
});

export const liveNoticeToPushSeconds = histogram({
  name: 'live_stock_notice_to_push_seconds',
  help: 'From the first change notice of a coalesced update to its push to the clients',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5],
});
