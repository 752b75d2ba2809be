import { GraphQLError } from 'graphql';
import { hasPorticoCode, porticoError } from '../../errors/index.js';

export interface MaskErrorOptions {
  /** Called with every error that is masked, so the original reaches the log. */
  onMasked?: (error: unknown) => void;
}

/**
 * Only errors thrown on purpose reach the client. Errors with a catalogue code pass (their
 * messages are written to be safe); graphql-js's own parse and validation errors pass with a
 * code added; everything else, including a subgraph's own error text, becomes
 * INTERNAL_SERVER_ERROR or SUBGRAPH_ERROR with nothing of the original message.
 */
export function createErrorMasker(options: MaskErrorOptions = {}) {
  return (error: unknown): Error => withoutStatusIfPartial(maskError(error, options));
}

function maskError(error: unknown, options: MaskErrorOptions): GraphQLError {
  const unwrapped = unwrap(error);
  if (hasPorticoCode(unwrapped)) return relocate(unwrapped as GraphQLError, error);
  if (error instanceof GraphQLError && error.originalError === undefined && error.extensions.code === undefined) {
    // A GraphQLError with no cause is graphql-js describing the client's document.
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  }
  options.onMasked?.(error);
  const fromSubgraph = isFromUpstream(error);
  return porticoError(fromSubgraph ? 'SUBGRAPH_ERROR' : 'INTERNAL_SERVER_ERROR', {
    ...(error instanceof GraphQLError && error.path ? { path: error.path } : {}),
  });
}

/**
 * An error at a field path sits inside partial data: per GraphQL-over-HTTP the response stays
 * 200, so the catalogue's status (meant for errors that stop the request) is dropped there.
 */
function withoutStatusIfPartial(error: GraphQLError): GraphQLError {
  if (error.path === undefined || error.extensions.http === undefined) return error;
  const { http: _status, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, extensions });
}

function unwrap(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError && !hasPorticoCode(current)) {
    current = current.originalError;
  }
  return current;
}

/** Keeps the path of the located wrapper when the coded error was thrown deeper. */
function relocate(coded: GraphQLError, outer: unknown): GraphQLError {
  if (coded === outer || !(outer instanceof GraphQLError) || coded.path !== undefined) return coded;
  return new GraphQLError(coded.message, {
    nodes: outer.nodes,
    path: outer.path,
    extensions: coded.extensions,
  });
}

function isFromUpstream(error: unknown): boolean {
  // Errors relayed from a subgraph response sit at a path and wrap no JS exception of ours.
  if (!(error instanceof GraphQLError) || error.path === undefined) return false;
  const cause: unknown = error.originalError;
  return cause === undefined || cause instanceof GraphQLError;
}
