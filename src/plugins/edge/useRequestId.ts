import type { Plugin } from 'graphql-yoga';
import type { ScopedContext } from '../../context/requestScope.js';

/** Echoes the request id (chosen when the server created the request scope) on every response. */
export function useRequestId(): Plugin<ScopedContext> {
  return {
    onResponse({ serverContext, response }) {
      const id = (serverContext as ScopedContext).portico?.requestId;
      if (id) response.headers.set('x-request-id', id);
    },
  };
}
