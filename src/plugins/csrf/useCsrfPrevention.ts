import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { porticoError } from '../../errors/index.js';
import { couldBeCrossSite } from './csrfRules.js';

export interface CsrfPreventionOptions {
  /**
   * Refuse requests a browser could send cross-site without a preflight.
   * @default true: see src/config/guardsSchema.ts
   */
  enabled?: boolean;
  /**
   * Any one of these headers marks a request as preflighted (a browser sends a custom header
   * cross-site only after the server allowed it), so a form upload can still come through.
   * @default ['graphql-require-preflight', 'x-portico-csrf', 'apollo-require-preflight', 'x-apollo-operation-name', 'graphql-preflight']
   */
  requestHeaders?: readonly string[];
}

const DEFAULT_HEADERS = ['graphql-require-preflight', 'x-portico-csrf', 'apollo-require-preflight', 'x-apollo-operation-name', 'graphql-preflight'];

/**
 * Cross-site request forgery protection as the GraphQL-over-HTTP spec describes it:
 *
 * - no mutation over GET: 405 OPERATION_NOT_ALLOWED with `Allow: POST` (a link or an image tag
 *   is enough to send a GET);
 * - no GET or POST that a page on another site could send without a CORS preflight (no content
 *   type, `text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`) unless it
 *   carries a preflight header: 400 CSRF_PREFLIGHT_REQUIRED. `application/json`, which every
 *   GraphQL client sends on a POST, always triggers a preflight, so it passes; a GET query
 *   needs a preflight header (or a JSON content type, which fetch can only send preflighted).
 *
 * Yoga's own `useCSRFPrevention` throws without a code.
 */
export function useCsrfPrevention(options: CsrfPreventionOptions = {}): Plugin {
  if (options.enabled === false) return {};
  const headers = options.requestHeaders ?? DEFAULT_HEADERS;
  return {
    onRequestParse({ request }) {
      if (!couldBeCrossSite(request.method, request.headers.get('content-type'))) return;
      for (const header of headers) if (request.headers.has(header)) return;
      throw porticoError('CSRF_PREFLIGHT_REQUIRED', { details: { preflightHeaders: headers } });
    },
    onParse() {
      return ({ result, context }) => {
        const { request, params } = context as { request?: Request; params?: { operationName?: string | null } };
        if (request?.method !== 'GET' || result === null || result instanceof Error) return;
        const operation = getOperationAST(result, params?.operationName);
        if (operation?.operation === 'mutation') {
          throw porticoError('OPERATION_NOT_ALLOWED', {
            message: 'Mutations cannot be sent with GET; use POST.',
            headers: { Allow: 'POST' },
          });
        }
      };
    },
  };
}
