import { z } from 'zod';
import { adminSchema, bffResilienceSchema, fallbackCacheSchema, sourceResilienceSchema } from './resilienceSchema.js';
import { costSchema } from './costSchema.js';
import { rateLimitSchema } from './rateLimitSchema.js';
import { redisSchema } from './redisSchema.js';
import { authSchema } from './authSchema.js';
import { authzSchema } from './authzSchema.js';
import { csrfSchema, limitsSchema } from './guardsSchema.js';
import { httpSchema } from './httpSchema.js';
import { http2Schema, tlsSchema } from './tlsSchema.js';
import { upstreamTlsSchema } from './upstreamTlsSchema.js';
import { corsSchema } from './corsSchema.js';
import { loadSheddingSchema } from './loadSheddingSchema.js';
import { bffResponseCacheSchema, responseCacheStoreSchema } from './responseCacheSchema.js';
import { routesSchema } from './routesSchema.js';
import { trustedDocumentsSchema } from './trustedDocumentsSchema.js';
import { redisEventsSourceSchema } from './redisEventsSourceSchema.js';
import { bffSubscriptionsSchema, processSubscriptionsSchema, upstreamSubscriptionsSchema } from './subscriptionsSchema.js';
import { subgraphTrafficSchema, trafficSchema } from './trafficSchema.js';
import { uploadsSchema } from './uploadsSchema.js';
import { bffHeadersSchema, sourceClaimsSchema, sourceHeadersSchema } from './headersSchema.js';
import { accessLogSchema, fleetSchema, reloadSchema, requestMetricsSchema, shutdownSchema, tracingSchema } from './operationsSchema.js';
import { plannerSchema } from './plannerSchema.js';

// Every object is strict: a misspelt key is an error at start-up, not a silently ignored option.

const port = z.number().int().min(0).max(65_535);
const httpUrl = z.url({ protocol: /^https?$/ });
const typeField = z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*(\.[_A-Za-z][_0-9A-Za-z]*)?$/, {
  error: 'expected "Type" or "Type.field"',
});

/** How the gateway merges a plain GraphQL source's type with the same type from other sources. */
export const mergeByKeySchema = z.strictObject({
  /** Key field shared by every source that has the type. @example 'id' */
  key: z.string().min(1),
  /** Root field that returns the type for a list of keys, in order. @example 'usersByIds' */
  field: z.string().min(1),
  /** Name of that field's list argument. @default 'ids' */
  argument: z.string().min(1).default('ids'),
});

export const graphqlSourceSchema = z.strictObject({
  kind: z.literal('graphql'),
  url: httpUrl,
  /** SDL file of the source, relative to the config file. Start-up never needs the source up. */
  schema: z.string().min(1),
  /** TLS to the source: a private CA, a client certificate, HTTP/2 (src/config/upstreamTlsSchema.ts). */
  tls: upstreamTlsSchema.optional(),
  /** Types this source can resolve by key for other sources (type merging). */
  merge: z.record(z.string(), mergeByKeySchema).default({}),
  /** Timeouts, breaker, retries, fallback cache (src/config/resilienceSchema.ts). */
  resilience: sourceResilienceSchema,
  /** How subscription events come from this source (src/config/subscriptionsSchema.ts). @default SSE to `url` */
  subscriptions: upstreamSubscriptionsSchema.prefault({}),
  /** Versions of this source and how requests are routed among them (src/config/trafficSchema.ts, docs/traffic.md). */
  traffic: trafficSchema.optional(),
  /** Client headers to this source and its headers back to the client (src/config/headersSchema.ts, docs/headers.md). */
  headers: sourceHeadersSchema,
  /** JWT claims sent to this source, signed with the identity headers (docs/identity.md). @default none */
  claims: sourceClaimsSchema.optional(),
});

export const federationSubgraphSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z][\w-]*$/),
  url: httpUrl,
  schema: z.string().min(1),
  /** How subscription events come from this subgraph (src/config/subscriptionsSchema.ts). @default SSE to `url` */
  subscriptions: upstreamSubscriptionsSchema.prefault({}),
});

export const federationSourceSchema = z.strictObject({
  kind: z.literal('federation'),
  /** Federation v2 subgraphs composed at start-up. Give either this or `supergraph`. */
  subgraphs: z.array(federationSubgraphSchema).min(1).optional(),
  /** An already composed supergraph SDL file (URLs taken from its join__graph). */
  supergraph: z.string().min(1).optional(),
  /** TLS to every subgraph: a private CA, a client certificate, HTTP/2 (src/config/upstreamTlsSchema.ts). */
  tls: upstreamTlsSchema.optional(),
  /** Applied to each subgraph: every subgraph gets its own breaker, budget and fallback cache. */
  resilience: sourceResilienceSchema,
  /**
   * Run a BFF whose only source is this federation (no renames, no BFF resolvers) through query
   * plans cached per document instead of stitching's per-request delegation; operations the
   * planner does not support (entity interfaces, @interfaceObject, introspection) still
   * run by stitching. `false` runs everything by stitching.
   * @default true: the same answers for a fraction of the CPU (bench/README.md).
   */
  queryPlanner: z.boolean().default(true),
  /** Client headers to this source and its headers back to the client (src/config/headersSchema.ts, docs/headers.md). */
  headers: sourceHeadersSchema,
  /** JWT claims sent to this source, signed with the identity headers (docs/identity.md). @default none */
  claims: sourceClaimsSchema.optional(),
  /**
   * Versions of a subgraph and how its calls are routed among them, by subgraph name: the
   * `traffic` block of a GraphQL source, each version the URL of a build of that subgraph
   * (src/config/trafficSchema.ts, docs/traffic.md). @example { inventory: { versions: { stable: 'http://inventory/graphql', canary: 'http://inventory-next/graphql' }, weights: { stable: 95, canary: 5 } } }
   */
  subgraphTraffic: subgraphTrafficSchema.optional(),
}).refine((s) => (s.subgraphs === undefined) !== (s.supergraph === undefined), {
  error: 'give exactly one of "subgraphs" or "supergraph"',
}).superRefine((s, ctx) => {
  // With a supergraph file the names are checked when it is read (src/compose/buildSourceRuntime.ts).
  if (!s.subgraphs || !s.subgraphTraffic) return;
  const names = s.subgraphs.map((subgraph) => subgraph.name);
  for (const name of Object.keys(s.subgraphTraffic)) {
    if (!names.includes(name)) ctx.addIssue({ code: 'custom', path: ['subgraphTraffic', name], message: `no subgraph named "${name}" (subgraphs: ${names.join(', ')})` });
  }
});

export const restSourceSchema = z.strictObject({
  kind: z.literal('rest'),
  baseUrl: httpUrl,
  schema: z.string().min(1),
  /** TLS to the source: a private CA, a client certificate, HTTP/2 (src/config/upstreamTlsSchema.ts). */
  tls: upstreamTlsSchema.optional(),
  /**
   * Upstream calls in flight per request for per-id endpoints.
   * @default 8: enough to hide latency for a page of items, low enough that one query cannot
   * open dozens of sockets against a per-id API.
   */
  maxConcurrency: z.number().int().positive().default(8),
  /** Keys per batch request. @default 100, the demo products API's own limit. */
  maxBatchSize: z.number().int().positive().default(100),
  resilience: sourceResilienceSchema,
  /** Versions of this source and how requests are routed among them (src/config/trafficSchema.ts, docs/traffic.md). */
  traffic: trafficSchema.optional(),
  /** Client headers to this source and its headers back to the client (src/config/headersSchema.ts, docs/headers.md). */
  headers: sourceHeadersSchema,
  /** JWT claims sent to this source, signed with the identity headers (docs/identity.md). @default none */
  claims: sourceClaimsSchema.optional(),
});

export const sourceSchema = z.discriminatedUnion('kind', [
  graphqlSourceSchema,
  federationSourceSchema,
  restSourceSchema,
  redisEventsSourceSchema,
]);

export const sourcesFileSchema = z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), sourceSchema);

export const bffSchema = z.strictObject({
  /** Names the BFF in logs, metrics and errors. */
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  /** @default '127.0.0.1': a gateway binds to loopback unless told otherwise. */
  host: z.string().default('127.0.0.1'),
  port,
  /** @default '/graphql' */
  path: z.string().startsWith('/').default('/graphql'),
  /**
   * Production mode: no GraphiQL, no introspection, no field suggestions.
   * @default false
   */
  production: z.boolean().default(false),
  /** Sources (names from the registry) this BFF stitches. */
  sources: z.array(z.string()).min(1),
  /** Module (relative to this file) exporting `typeDefs` and `resolvers` owned by the BFF team. */
  resolvers: z.string().optional(),
  /**
   * Module (relative to this file) exporting `policies`: the functions `@policy` names, by name
   * (docs/authorization.md). Required as soon as an SDL of the BFF uses `@policy`.
   */
  policies: z.string().optional(),
  /**
   * How operations execute: `plan` runs them through query plans over every source (federation,
   * GraphQL, REST) and the BFF's resolvers, falling back to stitching per root field for what the
   * planner cannot plan (docs/query-planner.md); `stitch` runs everything by stitching.
   * @default 'plan': the same answers without stitching's per-request delegation work.
   */
  engine: z.enum(['plan', 'stitch']).default('plan'),
  /** Types or fields removed from this BFF's schema: "User.email", "Tenant". */
  hide: z.array(typeField).default([]),
  /** Fields renamed in this BFF's schema: { "Product.name": "title" }. */
  rename: z.record(typeField, z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/)).default({}),
  /** The request budget (src/config/resilienceSchema.ts). */
  resilience: bffResilienceSchema,
  /** Query-cost ceiling and defaults (src/config/costSchema.ts). */
  cost: costSchema,
  /** Cost-based rate-limit tiers (src/config/rateLimitSchema.ts); no limiting when absent. */
  rateLimit: rateLimitSchema.optional(),
  /** Who may call: JWTs, partner API keys, revocations, identity headers (src/config/authSchema.ts). */
  auth: authSchema,
  /** Field-level authorization: default policy, reject or null denied fields (src/config/authzSchema.ts). */
  authz: authzSchema,
  /** Query guards: depth, aliases, tokens, directives, batch size (src/config/guardsSchema.ts). */
  limits: limitsSchema,
  /** CSRF protection per GraphQL-over-HTTP (src/config/guardsSchema.ts). */
  csrf: csrfSchema,
  /** Origins whose pages may read this BFF's answers (src/config/corsSchema.ts); no CORS headers at all when absent. */
  cors: corsSchema.optional(),
  /** HTTP edge limits: body and header size, header count, timeouts, connections (src/config/httpSchema.ts). */
  http: httpSchema,
  /** TLS at the edge, with HTTP/2 by ALPN (src/config/tlsSchema.ts); plain HTTP when absent. */
  tls: tlsSchema.optional(),
  /** HTTP/2 limits, and cleartext HTTP/2 (h2c) for a BFF behind a load balancer (src/config/tlsSchema.ts). */
  http2: http2Schema,
  /** Concurrency limit, queue and operation priorities (src/config/loadSheddingSchema.ts). */
  loadShedding: loadSheddingSchema,
  /** Whole-response cache driven by @cacheControl (src/config/responseCacheSchema.ts). */
  responseCache: bffResponseCacheSchema,
  /** Partner REST routes: stored operations behind versioned paths, with OpenAPI (src/config/routesSchema.ts). */
  routes: routesSchema.optional(),
  /** Persisted documents and whether only they may run (src/config/trustedDocumentsSchema.ts). */
  trustedDocuments: trustedDocumentsSchema.optional(),
  /** Caps and buffers of long-lived operations (src/config/subscriptionsSchema.ts). */
  subscriptions: bffSubscriptionsSchema,
  /** File uploads (GraphQL multipart requests), streamed to the source (src/config/uploadsSchema.ts); off by default. */
  uploads: uploadsSchema,
  /** Header rules for every source of this BFF and the Cache-Control merge (src/config/headersSchema.ts, docs/headers.md). */
  headers: bffHeadersSchema,
  /** The query planner's cache bounds and planning budget (src/config/plannerSchema.ts, docs/query-planner.md). */
  planner: plannerSchema,
});

export const rootConfigSchema = z.strictObject({
  /** The sources registry module, relative to this file. */
  sources: z.string().min(1),
  /** BFF folders (each holding `bff.config.ts`), relative to this file. */
  bffs: z.array(z.string().min(1)).min(1),
  /** Admin listener serving `/metrics`; none when absent. */
  admin: adminSchema.optional(),
  /** Where fallback responses are kept (memory unless Redis is given). */
  fallbackCache: fallbackCacheSchema,
  /** The Redis shared by a fleet (src/config/redisSchema.ts); REDIS_URL when absent. */
  redis: redisSchema.optional(),
  /** Where the BFFs' response caches keep entries (src/config/responseCacheSchema.ts). */
  responseCache: responseCacheStoreSchema,
  /** Operations (src/config/operationsSchema.ts): OpenTelemetry, access log, request metrics, drain, reload, fleet. */
  tracing: tracingSchema,
  accessLog: accessLogSchema,
  metrics: requestMetricsSchema,
  shutdown: shutdownSchema,
  reload: reloadSchema,
  fleet: fleetSchema,
  /** Subscriptions one process holds open (src/config/subscriptionsSchema.ts). */
  subscriptions: processSubscriptionsSchema,
});

export type MergeByKey = z.infer<typeof mergeByKeySchema>;
export type GraphQLSourceConfig = z.infer<typeof graphqlSourceSchema>;
export type FederationSourceConfig = z.infer<typeof federationSourceSchema>;
export type RestSourceConfig = z.infer<typeof restSourceSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type BffConfig = z.infer<typeof bffSchema>;
export type BffConfigInput = z.input<typeof bffSchema>;
export type SourcesInput = z.input<typeof sourcesFileSchema>;
export type RootConfigInput = z.input<typeof rootConfigSchema>;
