import type { Plugin } from 'graphql-yoga';
import { porticoError } from '../../errors/index.js';

/**
 * Refuses GraphQL-over-HTTP parameters of the wrong type with 400 BAD_REQUEST. yoga already
 * does this for `query` and `variables`; an `operationName` that is an object, number or array
 * would otherwise be ignored, and a gateway should not guess what a malformed request meant.
 */
export function useParamsCheck(): Plugin {
  return {
    onParams({ params }) {
      const { operationName } = params as { operationName?: unknown };
      if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
        throw porticoError('BAD_REQUEST', { message: 'operationName must be a string or null.' });
      }
    },
  };
}
