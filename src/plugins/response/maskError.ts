import { GraphQLError } from 'graphql';
import { hasPorticoCode, porticoError, type ErrorCode } from '../../errors/index.js';

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
  if (isRequestError(error)) {
    // Its message describes the client's own request, so it may stay; its code is made ours.
    const { originalError: echo, ...extensions } = error.extensions;
    if (echo !== undefined && extensions.http) {
      // Yoga echoes the body parser's message (a body that is not JSON) and reads its presence
      // as "not a GraphQL error: answer 400 even to application/json", as the spec asks. The
      // echo goes; the 400 stays, by no longer marking the status as one that JSON turns to 200.
      const { spec: _spec, ...http } = extensions.http as { spec?: boolean };
      extensions.http = http;
    }
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      extensions: { ...extensions, code: requestErrorCode(error) },
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

/**
 * graphql-js (parse, validation, variable coercion) and yoga (HTTP: method, media type, body)
 * describe the client's request with errors that have no path and wrap nothing. A subgraph's
 * error never looks like this: stitching relays it at the path of the field that delegated.
 */
function isRequestError(error: unknown): error is GraphQLError {
  if (!(error instanceof GraphQLError) || error.path !== undefined) return false;
  // graphql-js chains its own errors (a variable's coercion error wraps the enum's); a JS
  // exception anywhere in the chain is the gateway's own failure, not the client's.
  for (let cause = error.originalError; cause !== undefined; cause = (cause as GraphQLError).originalError) {
    if (!(cause instanceof GraphQLError)) return false;
  }
  const status = error.extensions.http?.status;
  return status === undefined || status < 500;
}

/** Yoga's own codes (BAD_REQUEST for every HTTP problem) mapped onto the catalogue by status. */
function requestErrorCode(error: GraphQLError): ErrorCode {
  const status = error.extensions.http?.status;
  if (status === 405) return 'OPERATION_NOT_ALLOWED';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 404) return 'NOT_FOUND';
  const code = error.extensions.code;
  if (code === 'GRAPHQL_PARSE_FAILED' || code === 'GRAPHQL_VALIDATION_FAILED') return code;
  if (code === undefined) {
    // graphql-js gives its errors no code: coercion of the request's variables, or validation.
    return error.message.startsWith('Variable "$') ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED';
  }
  return 'BAD_REQUEST';
}

function isFromUpstream(error: unknown): boolean {
  // Errors relayed from a subgraph response sit at a path and wrap no JS exception of ours.
  if (!(error instanceof GraphQLError) || error.path === undefined) return false;
  const cause: unknown = error.originalError;
  return cause === undefined || cause instanceof GraphQLError;
}
