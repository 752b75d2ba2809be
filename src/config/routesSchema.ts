import { z } from 'zod';

// Partner REST routes of a BFF (`routes` in bffs/<name>/bff.config.ts). Each route runs one
// stored GraphQL operation through the BFF's own pipeline (src/partner-rest/); docs/partner-rest.md
// describes the HTTP contract. Everything here is checked again at start-up against the composed
// schema (src/partner-rest/compileRoutes.ts), where the operation's variable types are known.

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, { error: 'expected a letter followed by letters, digits or _' });
const variable = z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/, { error: 'expected a GraphQL variable name (without $)' });
/** `/v1/orders/:id`: a version segment first, then literal or `:param` segments. */
const routePath = z.string().regex(/^\/v[1-9][0-9]*(\/([A-Za-z0-9._~-]+|:[A-Za-z][A-Za-z0-9_]*))+$/, {
  error: 'expected a versioned path such as "/v1/orders/:id"',
});
const isoDate = z.string().refine((value) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(value) && !Number.isNaN(Date.parse(value)), {
  error: 'expected an ISO 8601 date such as "2026-06-30" or "2026-06-30T00:00:00Z"',
});

export const routeParameterSchema = z.strictObject({
  /** Where the partner puts the value: a `:param` path segment, the query string or a JSON body property. */
  in: z.enum(['path', 'query', 'body']),
  /** The operation variable it fills. @default the parameter's own name */
  variable: variable.optional(),
  /** Shown in the OpenAPI document. */
  description: z.string().optional(),
  /**
   * A valid value, published in the OpenAPI document and checked against the variable's type at
   * start-up. Required: a client generated from the document (and our own test of it) must be
   * able to call every route without knowing anything else about it.
   */
  example: z.json().refine((value) => value !== undefined && value !== null, { error: 'every parameter needs an example' }),
});

export const routeDeprecationSchema = z.strictObject({
  /** When the route was deprecated: sent as `Deprecation: @<epoch seconds>` (RFC 9745). */
  since: isoDate,
  /** When it stops answering: sent as `Sunset: <HTTP-date>` (RFC 8594). */
  sunset: isoDate.optional(),
  /** The route that replaces it, e.g. "/v2/orders/:id": sent as `Link: <…>; rel="successor-version"`. */
  successor: routePath.optional(),
});

export const routeSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  /** Versioned path; `:name` segments are path parameters. */
  path: routePath,
  /** The `.graphql` file holding the operation, relative to the BFF config file. */
  operation: z.string().min(1),
  /** Which operation of that file runs. @default the file's only operation */
  operationName: name.optional(),
  /** One line for the OpenAPI document. */
  summary: z.string().min(1),
  description: z.string().optional(),
  tags: z.array(z.string().min(1)).default([]),
  /** Parameters by the name the partner uses, each mapped to one variable. */
  params: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/), routeParameterSchema).default({}),
  deprecated: routeDeprecationSchema.optional(),
  /**
   * What a partial GraphQL result (data with errors below the root field) becomes: 'data' answers
   * 200 with the data (failed nullable fields are null) and names the error codes in
   * `Portico-Partial-Errors`; 'error' answers with the problem of the first error.
   * @default 'data': a list with one unavailable stock figure is still worth serving, and the
   * header tells the partner which parts are missing.
   */
  partial: z.enum(['data', 'error']).default('data'),
});

export const routesSchema = z
  .strictObject({
    /** `info.title` of each version's OpenAPI document. @default 'Portico partner API' */
    title: z.string().min(1).default('Portico partner API'),
    description: z.string().optional(),
    /**
     * Largest JSON body a route accepts. @default 65536: route bodies are a handful of fields;
     * 64 KiB is generous for that and bounds the parsing an anonymous caller can cause.
     */
    maxBodyBytes: z.number().int().positive().max(10_485_760).default(65_536),
    /**
     * `Retry-After` on a 503 when the pipeline gave none (a source down or slow, not the breaker
     * or the rate limiter, which say how long themselves). @default 5: long enough for a breaker
     * to decide, short enough that a partner's retry lands soon after recovery.
     */
    retryAfterSeconds: z.number().int().positive().max(3600).default(5),
    endpoints: z.array(routeSchema).min(1),
  })
  .superRefine((routes, context) => {
    const seen = new Map<string, number>();
    routes.endpoints.forEach((route, i) => {
      // `:id` and `:orderId` in the same place would match the same requests.
      const shape = `${route.method} ${route.path.replace(/:[A-Za-z0-9_]+/g, ':')}`;
      const earlier = seen.get(shape);
      if (earlier !== undefined) {
        context.addIssue({ code: 'custom', path: ['endpoints', i, 'path'], message: `same method and path as endpoints[${earlier}]` });
      }
      seen.set(shape, i);
    });
  });

export type RoutesConfig = z.output<typeof routesSchema>;
export type RoutesConfigInput = z.input<typeof routesSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type RouteParameterConfig = z.output<typeof routeParameterSchema>;
