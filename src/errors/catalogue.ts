/**
 * The one catalogue of Portico's error codes. Every error a client can see carries one of these
 * codes in `extensions.code`; `docs/errors.md` lists them all and a test keeps the two in step.
 *
 * Match on `extensions.code`, never on the message: messages may be reworded, codes may not.
 * HTTP statuses follow the GraphQL-over-HTTP spec for `application/graphql-response+json`:
 * request errors (nothing executed) carry a 4xx/5xx, field errors inside partial data do not
 * change the response status.
 */
export const catalogue = {
  // ── request shape ─────────────────────────────────────────────────────────────
  BAD_REQUEST: { status: 400, message: 'The request is not a valid GraphQL-over-HTTP request.' },
  GRAPHQL_PARSE_FAILED: { status: 400, message: 'The GraphQL document could not be parsed.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, message: 'The GraphQL document is not valid against the schema.' },
  BAD_USER_INPUT: { status: 400, message: 'A variable or argument has an invalid value.' },
  OPERATION_NOT_ALLOWED: { status: 405, message: 'This operation cannot be sent with this HTTP method.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than this gateway accepts.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large or too many.' },
  CSRF_PREFLIGHT_REQUIRED: {
    status: 400,
    message: 'This request could be a cross-site request forgery: send it as application/json or with a preflight header.',
  },
  DUPLICATE_PARAMETER: { status: 400, message: 'A GraphQL request parameter was given more than once.' },
  JSON_TOO_DEEP: { status: 400, message: 'The request JSON is nested deeper than this gateway allows.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request content type is not supported.' },
  NOT_FOUND: { status: 404, message: 'No route matches this request.' },
  RESOURCE_NOT_FOUND: { status: 404, message: 'The requested resource does not exist.' },
  PERSISTED_DOCUMENT_REQUIRED: { status: 400, message: 'This endpoint runs stored documents only: send the id of a stored document.' },
  PERSISTED_DOCUMENT_NOT_FOUND: { status: 400, message: 'No stored document has this id.' },
  UPLOADS_DISABLED: { status: 400, message: 'This endpoint does not accept file uploads.' },
  UPLOAD_TOO_LARGE: { status: 413, message: 'The upload has more or larger files than this gateway accepts.' },
  UPLOAD_INVALID: { status: 400, message: 'The request is not a valid GraphQL multipart request.' },

  // ── query guards ──────────────────────────────────────────────────────────────
  QUERY_TOO_DEEP: { status: 400, message: 'The query is nested deeper than this gateway allows.' },
  TOO_MANY_ALIASES: { status: 400, message: 'The query uses more aliases than this gateway allows.' },
  TOO_MANY_TOKENS: { status: 400, message: 'The query has more tokens than this gateway allows.' },
  TOO_MANY_DIRECTIVES: { status: 400, message: 'The query uses more directives than this gateway allows.' },
  TOO_MANY_OPERATIONS: { status: 400, message: 'The batch holds more operations than this gateway allows.' },
  COST_LIMIT_EXCEEDED: { status: 400, message: 'The query costs more than this gateway allows.' },
  QUERY_PLAN_TOO_LARGE: { status: 400, message: 'The query expands to more fields than this gateway plans.' },
  QUERY_PLAN_UNSATISFIABLE: { status: 400, message: 'No subgraph can resolve a field this query selects, where it selects it.' },

  // ── identity and policy ───────────────────────────────────────────────────────
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required or the credentials are invalid.' },
  AUTH_UNAVAILABLE: { status: 503, message: 'The gateway cannot check credentials right now; retry later.' },
  FORBIDDEN: { status: 403, message: 'The caller may not read one or more requested fields.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests: the rate limit for this caller is spent.' },
  SERVICE_OVERLOADED: { status: 503, message: 'The gateway is at capacity; retry later.' },
  RATE_LIMIT_UNAVAILABLE: { status: 503, message: 'The rate limiter cannot decide right now; retry later.' },
  SUBSCRIPTION_LIMIT_REACHED: { status: 429, message: 'This caller holds as many open subscriptions as it may; end one first.' },
  SUBSCRIPTIONS_AT_CAPACITY: { status: 503, message: 'The gateway holds as many subscriptions as it can; retry later.' },
  TOKEN_EXPIRED: { status: 401, message: 'The credentials of this subscription expired; it has ended.' },
  TOKEN_REVOKED: { status: 401, message: 'The credentials of this subscription were revoked; it has ended.' },
  SLOW_CONSUMER: { status: 503, message: 'The client did not read events as fast as they came; the subscription has ended.' },

  // ── upstream ──────────────────────────────────────────────────────────────────
  SUBGRAPH_UNAVAILABLE: { status: 502, message: 'A data source is unavailable.' },
  SUBGRAPH_TIMEOUT: { status: 504, message: 'A data source did not answer in time.' },
  SUBGRAPH_BAD_RESPONSE: { status: 502, message: 'A data source sent a response the gateway could not read.' },
  SUBGRAPH_ERROR: { status: 502, message: 'A data source reported an error.' },

  // ── the gateway itself ────────────────────────────────────────────────────────
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error.' },
  NOT_READY: { status: 503, message: 'The gateway is not ready to serve requests.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof catalogue;

export const errorCodes = Object.keys(catalogue) as ErrorCode[];
