import type { SubgraphApp } from './serveSubgraph.js';

export interface RestRoute {
  method: 'GET' | 'POST';
  /** Path with `:param` segments, e.g. `/products/:id`. */
  pattern: string;
  /**
   * Stats key. Defaults to `METHOD pattern`; set it when one path serves two endpoints (the
   * products batch and list share `/products`) so tests can tell which one the gateway called.
   */
  key?: string;
  /** Extra condition on the query string; the first matching route wins. */
  when?(url: URL): boolean;
  handle(params: Record<string, string>, url: URL): Response | Promise<Response>;
}

export function json(status: number, value: unknown): Response {
  return Response.json(value, { status });
}

/** A REST subgraph from a route table; 404 `{ error: 'not_found' }` for anything unmatched. */
export function restApp(routes: RestRoute[], resetData: () => void = () => {}): SubgraphApp {
  const compiled = routes.map((route) => ({
    ...route,
    key: route.key ?? `${route.method} ${route.pattern}`,
    segments: route.pattern.split('/').filter(Boolean),
  }));

  function match(method: string, url: URL) {
    const parts = url.pathname.split('/').filter(Boolean);
    for (const route of compiled) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const matched = route.segments.every((segment, i) => {
        const part = decodeURIComponent(parts[i] ?? '');
        if (segment.startsWith(':')) {
          params[segment.slice(1)] = part;
          return true;
        }
        return segment === part;
      });
      if (matched && (route.when?.(url) ?? true)) return { route, params };
    }
    return undefined;
  }

  return {
    kind: 'rest',
    endpointPath: '',
    route: (method, url) => match(method, url)?.route.key ?? `${method} *`,
    async handle(request) {
      const url = new URL(request.url);
      const found = match(request.method, url);
      if (!found) return json(404, { error: 'not_found' });
      return found.route.handle(found.params, url);
    },
    resetData,
  };
}
