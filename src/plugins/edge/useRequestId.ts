import type { PorticoPlugin } from '../../context/requestScope.js';

/** Echoes the request id (chosen when the server created the request scope) on every response. */
export function useRequestId(): PorticoPlugin {
  return {
    onResponse({ serverContext, response }) {
      const id = serverContext.portico?.requestId;
      if (id) response.headers.set('x-request-id', id);
    },
  };
}
