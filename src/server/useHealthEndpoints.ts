import type { Plugin } from 'graphql-yoga';

export interface HealthOptions {
  /** False while starting or draining: load balancers stop sending before sockets close. */
  isReady(): boolean;
}

/** `/readyz` (yoga serves `/healthz`, which only says the process answers). */
export function useHealthEndpoints(options: HealthOptions): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== '/readyz') return;
      const ready = options.isReady();
      endResponse(
        new fetchAPI.Response(JSON.stringify({ ready }), {
          status: ready ? 200 : 503,
          headers: { 'content-type': 'application/json' },
        }),
      );
    },
  };
}
