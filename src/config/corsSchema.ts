import { z } from 'zod';

// Cross-origin access per BFF (src/plugins/edge/useCors.ts applies it). Absent, a BFF sends no
// CORS headers at all: browsers then let no page on another origin read its answers.

/** `https://app.example.com` or `http://localhost:5173`: scheme, host and optional port, nothing else. */
const exactOrigin = z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, {
  error: 'expected an origin such as "https://app.example.com" (lower case, no path or trailing slash)',
});
/** `https://*.example.com`: `*` stands for exactly one DNS label, so it never matches `example.com.evil.net`. */
const wildcardOrigin = z.string().regex(/^https?:\/\/\*\.[a-z0-9-]+(\.[a-z0-9-]+)+(:\d{1,5})?$/, {
  error: 'expected a pattern such as "https://*.example.com" ("*" only as the first label)',
});
const originPattern = z.instanceof(RegExp).refine((pattern) => pattern.source.startsWith('^') && pattern.source.endsWith('$'), {
  error: 'a RegExp origin must be anchored with ^ and $, or it would match origins that merely contain it',
});
const headerName = z.string().regex(/^[A-Za-z0-9-]+$/, { error: 'expected a header name' });

export const corsSchema = z.strictObject({
  /**
   * Origins whose pages may read this BFF's answers: exact origins, `https://*.example.com`
   * patterns (one label), or anchored RegExps. `*` and `null` are not accepted: a gateway that
   * authenticates callers never grants every origin.
   */
  origins: z.array(z.union([exactOrigin, wildcardOrigin, originPattern])).min(1),
  /**
   * Let those pages send cookies and read answers to credentialed requests
   * (`Access-Control-Allow-Credentials: true`).
   * @default false: Portico authenticates with bearer tokens, which need no credentials mode.
   */
  credentials: z.boolean().default(false),
  /**
   * Request headers a page may send (answered to preflights).
   * @default content-type, authorization, x-request-id, traceparent and the CSRF preflight
   * headers: what GraphQL clients send.
   */
  allowedHeaders: z
    .array(headerName)
    .default(['content-type', 'authorization', 'x-request-id', 'traceparent', 'graphql-require-preflight', 'x-portico-csrf', 'apollo-require-preflight']),
  /**
   * Response headers a page may read besides the CORS-safelisted ones.
   * @default the rate-limit fields, Retry-After and x-request-id: a client paces itself with them
   * and quotes the id in bug reports.
   */
  exposedHeaders: z.array(headerName).default(['RateLimit', 'RateLimit-Policy', 'Retry-After', 'x-request-id']),
  /**
   * Seconds a browser may cache a preflight's grant.
   * @default 600: Chromium's cap is 7200, Firefox's 86400; 10 minutes keeps preflights rare while
   * a removed origin loses access soon.
   */
  maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
});

export type CorsConfig = z.infer<typeof corsSchema>;
