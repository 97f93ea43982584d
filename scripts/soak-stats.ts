/*
 * What the soak measures: latency and statuses per kind of request, minute by minute, and the
 * server's memory; and the rule that decides whether memory stayed flat.
 */

export interface MemorySample {
  at: number;
  rss: number;
  heapUsed: number;
  /** Taken right after a forced full GC: the heap still in use. */
  afterGc: boolean;
}

interface Bucket {
  latencies: number[];
  statuses: Map<number, number>;
}

export interface KindLine {
  kind: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  statuses: Map<number, number>;
}

const MB = 1024 * 1024;
export const mb = (bytes: number) => (bytes / MB).toFixed(1);

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function tally(statuses: Map<number, number>): string {
  return [...statuses]
    .sort((a, b) => a[0] - b[0])
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');
}

/** Latencies and statuses per kind of request: the current minute, and the whole run. */
export class Recorder {
  private minute = new Map<string, Bucket>();
  private minuteStart = Date.now();
  readonly totals = new Map<string, Map<number, number>>();

  record(kind: string, ms: number, status: number): void {
    let bucket = this.minute.get(kind);
    if (!bucket) this.minute.set(kind, (bucket = { latencies: [], statuses: new Map() }));
    bucket.latencies.push(ms);
    bucket.statuses.set(status, (bucket.statuses.get(status) ?? 0) + 1);
    let total = this.totals.get(kind);
    if (!total) this.totals.set(kind, (total = new Map()));
    total.set(status, (total.get(status) ?? 0) + 1);
  }

  /** The minute's figures per kind (and "all"), then a fresh minute. */
  rollover(now = Date.now()): KindLine[] {
    const seconds = Math.max(0.001, (now - this.minuteStart) / 1000);
    const all: Bucket = { latencies: [], statuses: new Map() };
    const lines: KindLine[] = [];
    const line = (kind: string, b: Bucket): KindLine => {
      const sorted = b.latencies.sort((x, y) => x - y);
      return {
        kind,
        requests: sorted.length,
        rps: sorted.length / seconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        statuses: b.statuses,
      };
    };
    for (const [kind, b] of [...this.minute].sort((a, b) => a[0].localeCompare(b[0]))) {
      all.latencies.push(...b.latencies);
      for (const [s, n] of b.statuses) all.statuses.set(s, (all.statuses.get(s) ?? 0) + n);
      lines.push(line(kind, b));
    }
    lines.push(line('all', all));
    this.minute = new Map();
    this.minuteStart = now;
    return lines;
  }

  /** Statuses no scenario expects: 5xx (a 503 is load shedding, counted but allowed) and 0 (no answer). */
  unexpected(): Record<string, number> {
    const found: Record<string, number> = {};
    for (const [kind, statuses] of this.totals)
      for (const [status, n] of statuses)
        if (status === 0 || (status >= 500 && status !== 503)) found[`${kind} ${status}`] = n;
    return found;
  }

  totalsTable(): string[] {
    return [...this.totals]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([kind, s]) => `  ${kind.padEnd(10)} ${tally(s)}`);
  }
}

/** The minute's table, headed by the server's RSS (last sample), peak heap and heap after the last forced GC. */
export function formatMinute(index: number, lines: KindLine[], memory: MemorySample[], since: number): string[] {
  const minute = memory.filter((s) => s.at >= since);
  const last = minute[minute.length - 1];
  const gc = [...minute].reverse().find((s) => s.afterGc);
  const peak = Math.max(...minute.map((s) => s.heapUsed));
  const mem = last
    ? `rss ${mb(last.rss)} MB, heap peak ${mb(peak)} MB${gc ? `, after GC ${mb(gc.heapUsed)} MB` : ''}`
    : 'no memory sample';
  const out = [
    `-- minute ${index} -- ${mem}`,
    `  ${'kind'.padEnd(10)} ${'requests'.padStart(8)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  statuses`,
  ];
  for (const l of lines)
    out.push(
      `  ${l.kind.padEnd(10)} ${String(l.requests).padStart(8)} ${l.rps.toFixed(1).padStart(7)} ${l.p50.toFixed(1).padStart(8)} ${l.p99.toFixed(1).padStart(8)}  ${tally(l.statuses)}`,
    );
  return out;
}

/** Least-squares slope of v over t (units of v per unit of t). */
export function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mt = points.reduce((a, [t]) => a + t, 0) / n;
  const mv = points.reduce((a, [, v]) => a + v, 0) / n;
  const num = points.reduce((a, [t, v]) => a + (t - mt) * (v - mv), 0);
  const den = points.reduce((a, [t]) => a + (t - mt) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

export interface MemoryVerdict {
  judged: boolean;
  flat: boolean;
  text: string;
}

export interface FlatRule {
  /** Runs shorter than this are not judged (there is no steady state to speak of). */
  minMinutes: number;
  heapToleranceMb: number;
  rssToleranceMb: number;
}

/**
 * Memory is flat when, over the second half of the load (the first half is warm-up), the
 * least-squares line through the heap-after-GC samples rises by at most heapToleranceMb from
 * its start to its end, and the line through every RSS sample by at most rssToleranceMb.
 */
export function judgeMemory(samples: MemorySample[], start: number, end: number, rule: FlatRule): MemoryVerdict {
  const minutes = (end - start) / 60000;
  if (minutes < rule.minMinutes)
    return {
      judged: false,
      flat: true,
      text: `not judged: ${minutes.toFixed(1)} min of load, under ${rule.minMinutes}`,
    };
  const half = start + (end - start) / 2;
  const late = samples.filter((s) => s.at >= half && s.at <= end);
  const heap = late.filter((s) => s.afterGc).map((s): [number, number] => [s.at, s.heapUsed / MB]);
  const rss = late.map((s): [number, number] => [s.at, s.rss / MB]);
  if (heap.length < 3)
    return {
      judged: false,
      flat: false,
      text: `not judged: ${heap.length} heap-after-GC samples in the second half (is --expose-gc on?)`,
    };
  const span = end - half;
  const heapRise = slope(heap) * span;
  const rssRise = slope(rss) * span;
  const flat = heapRise <= rule.heapToleranceMb && rssRise <= rule.rssToleranceMb;
  return {
    judged: true,
    flat,
    text:
      `over the second half (${(span / 60000).toFixed(1)} min): heap after GC ${heapRise >= 0 ? '+' : ''}${heapRise.toFixed(1)} MB (tolerance ${rule.heapToleranceMb}), ` +
      `RSS ${rssRise >= 0 ? '+' : ''}${rssRise.toFixed(1)} MB (tolerance ${rule.rssToleranceMb}): ${flat ? 'flat' : 'GROWING'}`,
  };
}
