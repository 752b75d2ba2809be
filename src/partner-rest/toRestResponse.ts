import { catalogue } from '../errors/index.js';

/** Names the error codes behind a 200 whose data is partial. */
export const PARTIAL_ERRORS_HEADER = 'Portico-Partial-Errors';

/** RFC 9457 problem details, as every failed route answers (`application/problem+json`). */
export interface Problem {
  /** `urn:portico:error:<code>`: a stable URI per code, without pretending to be a web page. */
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  requestId?: string;
  invalidParams?: { name: string; in: string; reason: string }[];
  /** Why, as the GraphQL error's `extensions.reason` says it (e.g. `credentials_required`). */
  reason?: string;
  /** What the caller may not use, as the GraphQL error's `extensions.denied` lists it (docs/authorization.md). */
  denied?: DeniedEntry[];
  errors?: { code: string; path?: (string | number)[]; field?: string; reason?: string }[];
}

/** One denied field: its coordinate, where the stored operation asks for it, and why when ownership denies it. */
export interface DeniedEntry {
  field: string;
  path?: (string | number)[];
  reason?: string;
}

export interface RestResult {
  status: number;
  headers: Record<string, string>;
  /** JSON body: the root field's value, or a Problem. Absent for 304. */
  body?: unknown;
  isProblem: boolean;
}

interface GraphQLErrorJson {
  message?: unknown;
  path?: unknown;
  extensions?: { code?: unknown; reason?: unknown; denied?: unknown; field?: unknown };
}

/**
 * REST statuses that differ from the catalogue's GraphQL-over-HTTP ones. A partner's HTTP client
 * decides whether to retry from the status: a source that is down or slow is a temporary
 * condition of this service (503 + Retry-After), not a malformed upstream answer (502).
 */
const REST_STATUS: Readonly<Record<string, number>> = {
  SUBGRAPH_UNAVAILABLE: 503,
  SUBGRAPH_TIMEOUT: 503,
};

/** Headers of the pipeline's answer that mean something to a REST client too. */
const PASSED_THROUGH = /^(retry-after|www-authenticate|ratelimit(-.+)?|x-ratelimit-.+)$/;

/**
 * Titles in the words of a REST API, where the catalogue's speak GraphQL (documents, queries,
 * fields read): a partner called a route with parameters and a body, and may have been refused
 * a change, not a read. Codes not listed here say nothing GraphQL-specific and keep the
 * catalogue's message.
 */
const REST_TITLE: Readonly<Record<string, string>> = {
  BAD_REQUEST: 'The request is malformed.',
  GRAPHQL_PARSE_FAILED: 'The operation behind this route cannot run.',
  GRAPHQL_VALIDATION_FAILED: 'The operation behind this route cannot run.',
  BAD_USER_INPUT: 'A parameter has an invalid value.',
  OPERATION_NOT_ALLOWED: 'This route does not answer this HTTP method.',
  PAYLOAD_TOO_LARGE: 'The request body is larger than this API accepts.',
  FORBIDDEN: 'The caller is not allowed to do this.',
  QUERY_TOO_DEEP: 'The request exceeds a limit of this API.',
  TOO_MANY_ALIASES: 'The request exceeds a limit of this API.',
  TOO_MANY_TOKENS: 'The request exceeds a limit of this API.',
  TOO_MANY_DIRECTIVES: 'The request exceeds a limit of this API.',
  TOO_MANY_OPERATIONS: 'The request exceeds a limit of this API.',
  COST_LIMIT_EXCEEDED: 'The request costs more than this API allows.',
  PERSISTED_DOCUMENT_REQUIRED: 'The operation behind this route cannot run.',
  PERSISTED_DOCUMENT_NOT_FOUND: 'The operation behind this route cannot run.',
};

export function problem(code: string, options: Omit<Problem, 'type' | 'title' | 'code' | 'status'> & { status?: number } = {}): Problem {
  const entry = (catalogue as Record<string, { status: number; message: string } | undefined>)[code];
  const { status, ...rest } = options;
  return {
    type: `urn:portico:error:${code}`,
    title: REST_TITLE[code] ?? entry?.message ?? 'The request failed.',
    status: status ?? REST_STATUS[code] ?? entry?.status ?? 500,
    code,
    ...rest,
  };
}

export interface GraphQLAnswer {
  /** Status of the pipeline's GraphQL-over-HTTP response. */
  status: number;
  headers: Headers;
  /** Its parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
}

export interface RouteResultOptions {
  /** The root field's key in `data`. */
  rootKey: string;
  partial: 'data' | 'error';
  requestId?: string;
  /** Retry-After for a 503 the pipeline did not time itself. */
  retryAfterSeconds: number;
}

/**
 * Maps the pipeline's GraphQL answer to the route's REST answer (docs/partner-rest.md):
 *
 * - data with the root field → 200, the root field's value as the body;
 * - root field null without errors → 404 RESOURCE_NOT_FOUND;
 * - root field null with errors, or no data at all → the problem of the error closest to the root,
 *   its status from the code (the catalogue's, except SUBGRAPH_UNAVAILABLE/TIMEOUT → 503);
 * - data with errors below the root field (partial) → 200 with `Portico-Partial-Errors: <codes>`,
 *   or the problem of the first error when the route says `partial: 'error'`.
 *
 * Retry-After, WWW-Authenticate and rate-limit headers of the pipeline's answer are kept.
 */
export function toRestResponse(answer: GraphQLAnswer, options: RouteResultOptions): RestResult {
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    // Header objects of some fetch implementations keep the case a header was set with.
    const lower = name.toLowerCase();
    if (PASSED_THROUGH.test(lower)) headers[lower] = value;
  });
  const body = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as {
    data?: Record<string, unknown> | null;
    errors?: GraphQLErrorJson[];
  };
  const errors = Array.isArray(body.errors) ? body.errors : [];
  const data = body.data;
  const root = data?.[options.rootKey];

  if (root !== undefined && root !== null) {
    if (errors.length === 0) return { status: 200, headers, body: root, isProblem: false };
    if (options.partial === 'data') {
      headers[PARTIAL_ERRORS_HEADER] = [...new Set(errors.map(codeOf))].join(', ');
      // A degraded answer must not be stored and served as the resource's current state.
      headers['cache-control'] = 'no-store';
      return { status: 200, headers, body: root, isProblem: false };
    }
    return failure(errors[0]!, errors, answer, headers, options);
  }
  if (errors.length === 0) {
    if (data && typeof data === 'object') {
      return { status: 404, headers, body: problem('RESOURCE_NOT_FOUND', requestIdOf(options)), isProblem: true };
    }
    // Not a GraphQL answer at all: the pipeline failed in a way it did not describe.
    const code = answer.status === 401 ? 'UNAUTHENTICATED' : answer.status === 429 ? 'RATE_LIMITED' : 'INTERNAL_SERVER_ERROR';
    return withRetryAfter(
      { status: answer.status >= 400 ? answer.status : 500, headers, body: problem(code, { status: answer.status >= 400 ? answer.status : 500, ...requestIdOf(options) }), isProblem: true },
      options,
    );
  }
  return failure(closestToRoot(errors), errors, answer, headers, options);
}

function failure(
  primary: GraphQLErrorJson,
  errors: readonly GraphQLErrorJson[],
  answer: GraphQLAnswer,
  headers: Record<string, string>,
  options: RouteResultOptions,
): RestResult {
  const code = codeOf(primary);
  const known = code in catalogue || code in REST_STATUS;
  const status = known ? problem(code).status : answer.status >= 400 ? answer.status : 500;
  const reason = reasonOf(primary.extensions?.reason);
  const denied = deniedOf(primary.extensions?.denied);
  const body = problem(code, {
    status,
    // The catalogue's own message speaks GraphQL and the title already says it in REST words;
    // a message of this occurrence (e.g. which limit) is kept.
    ...(typeof primary.message === 'string' && primary.message !== catalogueMessage(code) ? { detail: primary.message } : {}),
    ...requestIdOf(options),
    ...(reason ? { reason } : {}),
    ...(denied ? { denied } : {}),
    errors: errors.map((error) => {
      const field = error.extensions?.field;
      const why = reasonOf(error.extensions?.reason);
      return {
        code: codeOf(error),
        ...(Array.isArray(error.path) ? { path: error.path as (string | number)[] } : {}),
        ...(typeof field === 'string' && COORDINATE.test(field) ? { field } : {}),
        ...(why ? { reason: why } : {}),
      };
    }),
  });
  return withRetryAfter({ status, headers, body, isProblem: true }, options);
}

function withRetryAfter(result: RestResult, options: RouteResultOptions): RestResult {
  if (result.status === 503 && !('retry-after' in result.headers)) result.headers['retry-after'] = String(options.retryAfterSeconds);
  return result;
}

/** The error that decided the root field's fate: no path (a request error) or the shortest one. */
function closestToRoot(errors: readonly GraphQLErrorJson[]): GraphQLErrorJson {
  const depth = (error: GraphQLErrorJson) => (Array.isArray(error.path) ? error.path.length : 0);
  return errors.reduce((best, error) => (depth(error) < depth(best) ? error : best));
}

const COORDINATE = /^[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*$/;
const REASON = /^[a-z][a-z0-9_]{0,63}$/;

function catalogueMessage(code: string): string | undefined {
  return (catalogue as Record<string, { message: string } | undefined>)[code]?.message;
}

/** A reason word as the gateway's own errors set it; anything else is not passed on. */
function reasonOf(value: unknown): string | undefined {
  return typeof value === 'string' && REASON.test(value) ? value : undefined;
}

/** `extensions.denied` as field authorization builds it, re-checked entry by entry: only its own keys pass. */
function deniedOf(value: unknown): DeniedEntry[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const entries: DeniedEntry[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const { field, path, reason } = item as { field?: unknown; path?: unknown; reason?: unknown };
    if (typeof field !== 'string' || !COORDINATE.test(field)) continue;
    const why = reasonOf(reason);
    entries.push({
      field,
      ...(Array.isArray(path) && path.every((step) => typeof step === 'string' || typeof step === 'number') ? { path: path as (string | number)[] } : {}),
      ...(why ? { reason: why } : {}),
    });
  }
  return entries.length > 0 ? entries : undefined;
}

function codeOf(error: GraphQLErrorJson): string {
  const code = error.extensions?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'INTERNAL_SERVER_ERROR';
}

function requestIdOf(options: RouteResultOptions): { requestId?: string } {
  return options.requestId ? { requestId: options.requestId } : {};
}
