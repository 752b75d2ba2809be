/**
 * Authenticates a long-lived connection when it opens (a WebSocket's `connection_init`), with the
 * same authenticator, revocation list and refusal codes as every request: resolves when the
 * credentials (as headers: `authorization`, the API key header) are acceptable, rejects with the
 * coded GraphQLError a request would get (UNAUTHENTICATED, AUTH_UNAVAILABLE). Each operation on
 * the connection is still authenticated again by the pipeline.
 */
export type ConnectionCheck = (credentials: Headers) => Promise<void>;
