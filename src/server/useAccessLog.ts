import type { Logger } from 'pino';
import type { Plugin } from 'graphql-yoga';
import type { ScopedContext } from '../context/requestScope.js';

export interface AccessLogOptions {
  logger: Logger;
  bff: string;
  /** Injected for tests; `performance.now` by default. */
  now?: () => number;
}

/**
 * One structured line per HTTP request. It never records a token, a body or a variable value:
 * only what an operator needs to find a request (id, operation name, status, duration).
 */
export function useAccessLog(options: AccessLogOptions): Plugin {
  const { logger, bff } = options;
  const now = options.now ?? (() => performance.now());
  const startedAt = new WeakMap<Request, number>();
  const operationOf = new WeakMap<Request, string>();
  return {
    onRequest({ request }) {
      startedAt.set(request, now());
    },
    onParams({ request, params }) {
      if (typeof params.operationName === 'string') operationOf.set(request, params.operationName.slice(0, 100));
    },
    onResponse({ request, response, serverContext }) {
      const start = startedAt.get(request);
      logger.info(
        {
          requestId: (serverContext as ScopedContext).portico?.requestId,
          bff,
          method: request.method,
          path: new URL(request.url).pathname,
          operationName: operationOf.get(request),
          status: response.status,
          durationMs: start === undefined ? undefined : Math.round((now() - start) * 100) / 100,
        },
        'request',
      );
    },
  };
}
