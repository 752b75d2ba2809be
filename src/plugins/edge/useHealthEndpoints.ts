import type { Plugin } from 'graphql-yoga';
import type { Readiness } from '../../context/readiness.js';

export interface HealthOptions {
  /** Off while draining, so load balancers stop sending before sockets close. */
  readiness: Readiness;
  /** Each of the BFF's sources' breaker state (`{ inventory: { breaker: 'open' } }`), reported by /readyz. */
  sources?(): Record<string, unknown>;
}

/**
 * `/readyz` (yoga serves `/healthz`, which only says the process answers): `{ ready, sources }`.
 * An open breaker does NOT make the BFF unready: it still answers, with partial data and coded
 * errors (or stale fallbacks) for that source, and taking every instance out of the load balancer
 * because one upstream is down would turn a partial outage into a full one. `sources` is there
 * for the operator and for dashboards.
 */
export function useHealthEndpoints(options: HealthOptions): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== '/readyz') return;
      const ready = options.readiness.isReady();
      endResponse(
        new fetchAPI.Response(JSON.stringify(options.sources ? { ready, sources: options.sources() } : { ready }), {
          status: ready ? 200 : 503,
          headers: { 'content-type': 'application/json' },
        }),
      );
    },
  };
}
