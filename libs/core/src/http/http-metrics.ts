import type { FastifyInstance } from 'fastify';
import { counter, histogram } from '../metrics/metrics';

const requests = counter({
  name: 'http_requests_total',
  help: 'HTTP requests by method, route and status',
  labelNames: ['method', 'route', 'status'],
});
const latency = histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request latency by method, route and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

type Labels = { method: string; route: string; status: string };

/**
 * One label object per (route, method, status), made on first use: the response hook runs
 * for every request and need not build the same object again. Bounded by the routes.
 */
const labelCache = new Map<string, Map<string, Map<number, Labels>>>();

function labelsOf(route: string, method: string, status: number): Labels {
  let byMethod = labelCache.get(route);
  if (!byMethod) labelCache.set(route, (byMethod = new Map<string, Map<number, Labels>>()));
  let byStatus = byMethod.get(method);
  if (!byStatus) byMethod.set(method, (byStatus = new Map<number, Labels>()));
  let labels = byStatus.get(status);
  if (!labels) byStatus.set(status, (labels = { method, route, status: String(status) }));
  return labels;
}

/** Counts every response by its route pattern (not the raw URL, which would explode cardinality). */
export function registerHttpMetrics(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const labels = labelsOf(request.routeOptions?.url ?? 'unmatched', request.method, reply.statusCode);
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
