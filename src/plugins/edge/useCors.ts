import type { Plugin } from 'graphql-yoga';
import { compileOrigins, corsHeaders, type CorsPolicyOptions } from './corsPolicy.js';

/** The BFF's `cors` config (src/config/corsSchema.ts documents each key and default). */
export type CorsOptions = CorsPolicyOptions;

/**
 * Cross-origin access for the pages of the origins listed, and for no one else. Preflights
 * (`OPTIONS` with `Access-Control-Request-Method`) are answered 204 here, with a grant only for
 * a listed origin; every other answer gets the grant headers for a listed origin and `Vary:
 * Origin` for all. yoga's own CORS (off in src/server/createBffServer.ts) reflects any origin
 * with credentials, and grants a one-entry list to every origin.
 */
export function useCors(options: CorsOptions): Plugin {
  const allowed = compileOrigins(options.origins);
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (request.method !== 'OPTIONS') return;
      const preflight = request.headers.has('access-control-request-method');
      const headers = preflight ? corsHeaders(options, allowed, request.headers.get('origin'), true) : {};
      // Safari waits for a body on a 204 without a Content-Length.
      endResponse(new fetchAPI.Response(null, { status: 204, headers: { ...headers, 'Content-Length': '0', Allow: 'GET, POST, OPTIONS' } }));
    },
    onResponse({ request, response }) {
      if (request.method === 'OPTIONS') return;
      for (const [name, value] of Object.entries(corsHeaders(options, allowed, request.headers.get('origin'), false))) {
        if (name === 'Vary') appendVary(response.headers, value);
        else response.headers.set(name, value);
      }
    },
  };
}

function appendVary(headers: Headers, value: string): void {
  const current = headers.get('vary');
  if (current === null) headers.set('Vary', value);
  else if (!current.toLowerCase().split(/\s*,\s*/).includes(value.toLowerCase())) headers.set('Vary', `${current}, ${value}`);
}
