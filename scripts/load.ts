/*
 * A thin typed wrapper of autocannon (a devDependency): keep-alive connections, each sending
 * its next request as soon as the previous answered, latency in an HDR histogram. Used by the
 * benchmark; each request is built by `next` (fresh headers, path and body every time).
 */

/** The part of autocannon's API used here (the package ships no types). */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number; average: number };
  requests: { total: number; sent: number };
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (
  options: {
    url: string;
    connections: number;
    duration?: number;
    amount?: number;
    requests: Array<{
      setupRequest: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
      onResponse?: (status: number, body: string) => void;
    }>;
  },
  done: (err: Error | null, result: AutocannonResult) => void,
) => unknown;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  baseUrl: string;
  connections: number;
  /** Run for this long ... */
  durationSec?: number;
  /** ... or send exactly this many requests. */
  amount?: number;
  /** The i-th request (0, 1, 2, ... in the order they are sent). */
  next: (i: number) => LoadRequest;
  /** Sees each response's body (autocannon then reads the bodies, which costs the client a little). */
  onResponse?: (status: number, body: string) => void;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  byStatus: Record<string, number>;
  /** Connection errors, timeouts included. */
  errors: number;
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  let sent = 0;
  const connections = options.amount ? Math.max(1, Math.min(options.connections, options.amount)) : options.connections;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: options.baseUrl,
        connections,
        // Only the one that is set: autocannon would take an undefined as given.
        ...(options.amount ? { amount: options.amount } : { duration: options.durationSec ?? 10 }),
        requests: [
          {
            setupRequest: (req) => {
              const r = options.next(sent++);
              req.method = r.method;
              req.path = r.path;
              req.headers = r.headers;
              req.body = r.body;
              return req;
            },
            ...(options.onResponse ? { onResponse: options.onResponse } : {}),
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const byStatus: Record<string, number> = {};
        for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) byStatus[status] = count;
        const requests = Object.values(byStatus).reduce((a, b) => a + b, 0);
        resolve({
          requests,
          seconds: result.duration,
          rps: requests / result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          byStatus,
          errors: result.errors,
        });
      },
    );
  });
}
