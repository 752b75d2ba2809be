import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { ScopedContext } from '../context/requestScope.js';

// A client-sent id is kept only when it is short and plain, so it is safe in logs and headers.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `x-request-id` when acceptable, else a fresh UUID. */
export function pickRequestId(sent: string | string[] | null | undefined): string {
  return typeof sent === 'string' && ACCEPTABLE_ID.test(sent) ? sent : randomUUID();
}

/** Echoes the request id (chosen when the scope was created) on every response. */
export function useRequestId(): Plugin<ScopedContext> {
  return {
    onResponse({ serverContext, response }) {
      const id = (serverContext as ScopedContext).portico?.requestId;
      if (id) response.headers.set('x-request-id', id);
    },
  };
}
