import { z } from 'zod';

// Header rules (docs/headers.md): which client request headers reach a source, which source
// response headers reach the client, and how sources' Cache-Control is merged. Validated once at
// start-up; a rule naming a header the gateway owns or a hop-by-hop header is an error here,
// naming the file and the key, rather than a rule that silently does nothing.

/** RFC 9110 field-name token, lower case (HTTP/2 and node both lower-case names). */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus the legacy `keep-alive`, `proxy-connection` and the
 * proxy credentials): they describe one connection, so a proxy never forwards them, whatever a
 * rule says. The names listed in a message's own `Connection` header are dropped too, at runtime.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/**
 * Credentials: forwarded only by a rule that names them exactly, never by a `matching` pattern
 * (a pattern written for `x-feature-*` must not start leaking session cookies when it is widened).
 */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'x-api-key']);

/**
 * What the gateway itself writes on every source call (framing, identity, tracing, deadline):
 * a client value in their place would forge the gateway's word, so no rule may set or remove them.
 */
export const RESERVED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'accept',
  'accept-encoding',
  'expect',
  'x-request-id',
  'traceparent',
  'tracestate',
  'baggage',
]);
/** Identity (`x-portico-auth`, `-subject`, signature, claims …) and the deadline header. */
export const RESERVED_REQUEST_PREFIX = 'x-portico-';

/**
 * Response headers the gateway decides for the client's response: framing, the Cache-Control
 * merge (`cacheControl` below), CORS, rate limiting, auth challenges and the request id.
 */
export const RESERVED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'content-length',
  'content-type',
  'content-encoding',
  'cache-control',
  'age',
  'expires',
  'vary',
  'date',
  'server',
  'x-request-id',
  'retry-after',
  'www-authenticate',
  'ratelimit',
  'ratelimit-policy',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
]);
const RESERVED_RESPONSE_PREFIXES = ['access-control-', 'x-portico-'];

function refuseName(name: string, direction: 'request' | 'response'): string | undefined {
  if (!HEADER_NAME.test(name)) return `"${name}" is not a lower-case HTTP header name`;
  if (HOP_BY_HOP_HEADERS.has(name)) return `"${name}" is a hop-by-hop header: it describes one connection and is never forwarded`;
  if (direction === 'request') {
    if (RESERVED_REQUEST_HEADERS.has(name) || name.startsWith(RESERVED_REQUEST_PREFIX)) {
      return `"${name}" is written by the gateway itself on every source call (docs/headers.md)`;
    }
  } else {
    if (name === 'cache-control' || name === 'expires' || name === 'age') {
      return `"${name}" is decided by the Cache-Control merge: use headers.cacheControl (docs/headers.md)`;
    }
    if (RESERVED_RESPONSE_HEADERS.has(name) || RESERVED_RESPONSE_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      return `"${name}" is decided by the gateway for the client's response (docs/headers.md)`;
    }
  }
  return undefined;
}

const headerName = (direction: 'request' | 'response') =>
  z.string().superRefine((name, context) => {
    const problem = refuseName(name, direction);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

const pattern = z.string().superRefine((source, context) => {
  try {
    new RegExp(source, 'i');
  } catch (error) {
    context.addIssue({ code: 'custom', message: `not a regular expression: ${(error as Error).message}` });
  }
});

/** A header value the gateway sends as given: no CR, LF or NUL (header injection). */
const headerValue = z.string().max(8192).regex(/^[^\r\n\0]*$/, { error: 'a header value cannot contain CR, LF or NUL' });

/** Client request headers to sources: applied in order, later rules see what earlier ones did. */
export const requestHeaderRuleSchema = z.union([
  z.strictObject({
    /** Copies the client's header of this name, if it sent one. @example 'accept-language' */
    propagate: headerName('request'),
    /** Sends it under another name. @example 'x-locale' */
    rename: headerName('request').optional(),
    /** Sent when the client did not send the header. @example 'en' */
    default: headerValue.optional(),
  }),
  z.strictObject({
    /**
     * Copies every client header whose name matches (case-insensitive). Never matches a
     * credential (`authorization`, `cookie`, `x-api-key`), a hop-by-hop or a reserved header:
     * those need a rule naming them.
     * @example { matching: '^x-feature-' }
     */
    propagate: z.strictObject({ matching: pattern }),
  }),
  z.strictObject({
    /** Sets a fixed header on every call. @example { set: 'x-bff', value: 'web' } */
    set: headerName('request'),
    value: headerValue,
  }),
  z.strictObject({
    /** Removes a header an earlier rule (e.g. the BFF's) added, for this source. */
    remove: headerName('request'),
  }),
]);

/** Source response headers to the client. */
export const responseHeaderRuleSchema = z.union([
  z.strictObject({
    /** Passes the source's header of this name back to the client. @example 'x-catalogue-version' */
    propagate: headerName('response'),
    /** Under another name. */
    rename: headerName('response').optional(),
    /**
     * When several source calls of one request answer with it: `append` sends each distinct value
     * (as a list, in the order the answers came), `first`/`last` keep one.
     * @default 'append': no source's value is lost, and repeated values are sent once
     */
    merge: z.enum(['append', 'first', 'last']).default('append'),
  }),
  z.strictObject({
    /** Passes back every source header whose name matches (case-insensitive); never `set-cookie`, reserved or hop-by-hop ones. */
    propagate: z.strictObject({ matching: pattern }),
    merge: z.enum(['append', 'first', 'last']).default('append'),
  }),
]);

/** `headers` of a source: its own rules, applied after the BFF's for calls to it. */
export const sourceHeadersSchema = z
  .strictObject({
    /** @default []: no client header reaches the source */
    request: z.array(requestHeaderRuleSchema).default([]),
    /** @default []: no header of the source reaches the client */
    response: z.array(responseHeaderRuleSchema).default([]),
  })
  .prefault({});

export const cacheControlMergeSchema = z
  .strictObject({
    /**
     * Merge the `Cache-Control` of every source answer of a request, strictest wins
     * (`no-store` > `no-cache` > `private` > the smallest `max-age`), onto the client's response,
     * together with the response cache's own (docs/headers.md has the rule).
     * @default false: the response cache alone decides, as before
     */
    merge: z.boolean().default(false),
    /**
     * What a source answer without `Cache-Control` (or a call that failed) counts as: `no-store`,
     * or `ignore` (it does not take part).
     * @default 'no-store': an answer that did not say it may be cached makes the whole response
     * uncacheable; a personalised GraphQL source usually says nothing, and its data must not end
     * up in a shared cache because another source said `public`
     */
    whenAbsent: z.enum(['no-store', 'ignore']).default('no-store'),
  })
  .prefault({});

/** `headers` of a BFF: rules for every source it calls, and the Cache-Control merge. */
export const bffHeadersSchema = z
  .strictObject({
    /** Applied to calls to every source of the BFF, before the source's own. @default [] */
    request: z.array(requestHeaderRuleSchema).default([]),
    /** Passed back from any source of the BFF. @default [] */
    response: z.array(responseHeaderRuleSchema).default([]),
    cacheControl: cacheControlMergeSchema,
  })
  .prefault({});

/** Claim names or dotted paths, as `auth.jwt.claims` reads them. */
export const sourceClaimsSchema = z.array(z.string().min(1).max(200)).max(50);

export type RequestHeaderRule = z.output<typeof requestHeaderRuleSchema>;
export type ResponseHeaderRule = z.output<typeof responseHeaderRuleSchema>;
export type SourceHeadersConfig = z.output<typeof sourceHeadersSchema>;
export type BffHeadersConfig = z.output<typeof bffHeadersSchema>;
export type CacheControlMergeConfig = z.output<typeof cacheControlMergeSchema>;
