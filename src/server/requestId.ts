import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

// A client-sent id is kept only when it is short and plain, so it is safe in logs and headers.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const idByRequest = new WeakMap<Request, string>();

/** The id of a request seen by `useRequestId`, or a fresh one. */
export function requestIdOf(request: Request): string {
  let id = idByRequest.get(request);
  if (id === undefined) {
    id = pickRequestId(request.headers.get('x-request-id'));
    idByRequest.set(request, id);
  }
  return id;
}

export function pickRequestId(sent: string | null): string {
  return sent !== null && ACCEPTABLE_ID.test(sent) ? sent : randomUUID();
}

/**
 * Gives every request an id (the client's `x-request-id` when acceptable, else a UUID), echoes
 * it on the response and makes it available to the context, the access log and upstream calls.
 */
export function useRequestId(): Plugin {
  return {
    onRequest({ request }) {
      requestIdOf(request);
    },
    onResponse({ request, response }) {
      response.headers.set('x-request-id', requestIdOf(request));
    },
  };
}
