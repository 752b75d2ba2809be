import { z } from 'zod';

// Query guards and CSRF protection per BFF (src/plugins/limits/useQueryLimits.ts and
// src/plugins/csrf/useCsrfPrevention.ts apply them). Each guard refuses a request with its own
// code before anything runs; docs/security.md explains each one.

const positive = z.number().int().positive();

export const limitsSchema = z
  .strictObject({
    /**
     * Deepest field nesting an operation may have, counted as graphql-depth-limit counts it
     * (`{ a { b } }` is 1), fragments expanded.
     * @default 10: the demo's deepest screen (user → orders → items → product → stock → available)
     * is 5; 10 leaves room while stopping cyclic walks (order → user → orders → …) that multiply
     * the work at every level.
     */
    maxDepth: positive.default(10),
    /**
     * Deepest nesting counting introspection fields too, which `maxDepth` leaves out (the higher
     * of the two applies). Introspection is a query like any other: `__Type.ofType` nests as deep
     * as a client asks, and every level is resolved.
     * @default 15: graphql-js's full introspection query (GraphiQL's, every option on) is 14 deep.
     */
    maxIntrospectionDepth: positive.default(15),
    /**
     * Aliased fields an operation may have, counted as executed (a fragment spread twice counts
     * twice). Aliases are how one request asks for the same expensive field hundreds of times.
     * @default 15: graphql-armor's default; real screens alias a handful of fields at most.
     */
    maxAliases: z.number().int().min(0).default(15),
    /**
     * Lexical tokens a document may have; graphql-js stops parsing at this count, so an
     * oversized document costs almost nothing to refuse.
     * @default 1000: the demo's biggest query is under 100 tokens; graphql-armor's default.
     */
    maxTokens: positive.default(1000),
    /**
     * Directives an operation may use, counted as executed. Directive floods are a known way to
     * make validation itself slow.
     * @default 50: graphql-armor's default; clients use a few @include/@skip per screen.
     */
    maxDirectives: z.number().int().min(0).default(50),
    /**
     * Operations one HTTP request may batch (a JSON array body). Each operation is costed,
     * limited and authorized on its own; the cap bounds how much work one request can queue.
     * @default 1: batching off, as in yoga and Hive Gateway; a BFF whose clients batch (Apollo's
     * BatchHttpLink sends up to 10) raises it.
     */
    maxBatchedOperations: positive.default(1),
    /**
     * Nesting of request JSON (the body, and `variables`/`extensions` of a GET) in arrays and
     * objects; deeper is refused 400 JSON_TOO_DEEP by a linear scan, before JSON.parse runs.
     * @default 64: real variables nest a few levels (an input object holding a list of input
     * objects); deep JSON only exists to make parsers and resolvers recurse.
     */
    maxJsonDepth: positive.default(64),
  })
  .prefault({});

export const csrfSchema = z
  .strictObject({
    /**
     * Refuse GETs and POSTs a browser would send cross-site without a CORS preflight (no content
     * type, text/plain, form encodings) unless they carry one of `requestHeaders`. A GET query
     * from a link, an image or a form on another site is read-only, but it still runs with the
     * victim's cookies and leaks through timing and side channels (cross-site search).
     * @default true: with cookies or other ambient credentials anywhere in front of the gateway,
     * such a request runs with the victim's identity.
     */
    enabled: z.boolean().default(true),
    /**
     * Any one of these request headers marks a request as not cross-site (a browser sends a
     * custom header only after a preflight the server allowed).
     * @default ['graphql-require-preflight', 'x-portico-csrf', 'apollo-require-preflight',
     * 'x-apollo-operation-name', 'graphql-preflight']: ours, plus the ones Apollo and other
     * GraphQL clients already send.
     */
    requestHeaders: z
      .array(z.string().regex(/^[a-z0-9-]+$/, { error: 'expected a lower-case header name' }))
      .min(1)
      .default(['graphql-require-preflight', 'x-portico-csrf', 'apollo-require-preflight', 'x-apollo-operation-name', 'graphql-preflight']),
  })
  .prefault({});

export type LimitsConfig = z.infer<typeof limitsSchema>;
export type CsrfConfig = z.infer<typeof csrfSchema>;
