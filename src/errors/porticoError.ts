import { GraphQLError, type GraphQLErrorOptions } from 'graphql';
import { catalogue, type ErrorCode } from './catalogue.js';

declare module 'graphql' {
  interface GraphQLErrorExtensions {
    code?: string;
    http?: { status?: number; headers?: Record<string, string> };
  }
}

export interface PorticoErrorOptions {
  /** Overrides the catalogue's message; keep it free of internals (URLs, hosts, stack traces). */
  message?: string;
  /** Structured details next to the code, e.g. `{ cost: { estimated, max } }`. */
  details?: Record<string, unknown>;
  /** Extra HTTP response headers, e.g. `Retry-After`. */
  headers?: Record<string, string>;
  /** Overrides the catalogue status, e.g. when the error only nulls a field inside partial data. */
  status?: number;
  path?: GraphQLErrorOptions['path'];
  nodes?: GraphQLErrorOptions['nodes'];
  originalError?: Error;
}

/**
 * Builds the one kind of error Portico throws on purpose: a GraphQLError whose extensions carry
 * a catalogue code and the HTTP status the response should take.
 */
export function porticoError(code: ErrorCode, options: PorticoErrorOptions = {}): GraphQLError {
  const entry = catalogue[code];
  const http: { status: number; headers?: Record<string, string> } = { status: options.status ?? entry.status };
  if (options.headers) http.headers = options.headers;
  const errorOptions: GraphQLErrorOptions = {
    extensions: { code, http, ...options.details },
  };
  if (options.path) errorOptions.path = options.path;
  if (options.nodes) errorOptions.nodes = options.nodes;
  if (options.originalError) errorOptions.originalError = options.originalError;
  const error = new GraphQLError(options.message ?? entry.message, errorOptions);
  minted.add(error.extensions);
  return error;
}

/**
 * The extensions of every error built by `porticoError`. A subgraph's response can carry any
 * `extensions.code`, catalogue codes included, so the code alone does not prove an error is ours.
 * Relocated copies (stitching, graphql-js) keep the same extensions object, so they stay marked;
 * a copy that rebuilds the object loses the mark and is masked: the safe way to fail.
 */
const minted = new WeakSet<object>();

/** True when `error` was built by `porticoError`, i.e. thrown on purpose with a catalogue code. */
export function hasPorticoCode(error: unknown): boolean {
  return (
    error instanceof GraphQLError &&
    minted.has(error.extensions) &&
    typeof error.extensions.code === 'string' &&
    error.extensions.code in catalogue
  );
}
