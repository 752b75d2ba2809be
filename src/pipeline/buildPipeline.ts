import path from 'node:path';
import type { Logger } from 'pino';
import { displayPath } from '../config/configError.js';
import type { GraphiQLOptions } from 'graphql-yoga';
import type { LoadedBff, LoadedSource } from '../config/loadConfig.js';
import { useRequestId } from '../plugins/edge/useRequestId.js';
import { useParamsCheck } from '../plugins/edge/useParamsCheck.js';
import { useCors } from '../plugins/edge/useCors.js';
import { useRequestShape } from '../plugins/edge/useRequestShape.js';
import { useAccessLog } from '../plugins/edge/useAccessLog.js';
import { useHealthEndpoints } from '../plugins/edge/useHealthEndpoints.js';
import { useGraphiQLAssets } from '../plugins/edge/useGraphiQLAssets.js';
import { GRAPHIQL_ASSET_BASE, renderGraphiQLPage } from '../plugins/edge/graphiQLPage.js';
import { useQueryPlanner } from '../plugins/execution/useQueryPlanner.js';
import { useDocumentCache } from '../plugins/execution/useDocumentCache.js';
import { useIncrementalDelivery } from '../plugins/incremental/useIncrementalDelivery.js';
import { useErrorMasking } from '../plugins/response/useErrorMasking.js';
import type { QueryPlanner } from '../sources/federation/planner/queryPlanner.js';
import { usePartnerRoutes, type PartnerRoutes } from '../partner-rest/usePartnerRoutes.js';
import { createPipelineEntry, type PipelineEntry } from '../context/pipelineEntry.js';
import type { Readiness } from '../context/readiness.js';
import type { PipelinePlugin } from '../context/requestScope.js';
import type { ConnectionCheck } from '../context/connectionCheck.js';
import { useTracing } from '../plugins/observability/useTracing.js';
import { useRequestMetrics } from '../plugins/observability/useRequestMetrics.js';
import type { PorticoTracing } from '../observability/tracing.js';
import type { AccessLogConfig, RequestMetricsConfig } from '../config/operationsSchema.js';
import { useProductionMode } from '../plugins/limits/useProductionMode.js';
import { useQueryLimits } from '../plugins/limits/useQueryLimits.js';
import { useCsrfPrevention } from '../plugins/csrf/useCsrfPrevention.js';
import { useUploads } from '../plugins/uploads/useUploads.js';
import { useFieldAuthz } from '../plugins/authz/useFieldAuthz.js';
import { collectFieldPolicy } from '../plugins/authz/collectFieldPolicy.js';
import { collectOwnerPolicy } from '../plugins/authz/collectOwnerPolicy.js';
import { checkPolicyFunctions } from '../plugins/authz/checkPolicyFunctions.js';
import { useRequestDeadline } from '../plugins/resilience/useRequestDeadline.js';
import { useStaleExtensions } from '../plugins/resilience/useStaleExtensions.js';
import { useCostLimit } from '../plugins/cost/useCostLimit.js';
import { collectCostDirectives } from '../plugins/cost/collectCostDirectives.js';
import { useRateLimit } from '../plugins/rate-limit/useRateLimit.js';
import type { RateLimitStores } from '../stores/rate-limit/createRateLimitStores.js';
import { useAuth } from '../plugins/auth/useAuth.js';
import { useLoadShedding } from '../plugins/load-shedding/useLoadShedding.js';
import { useResponseCache } from '../plugins/response-cache/useResponseCache.js';
import { collectCacheHints } from '../plugins/response-cache/collectCacheHints.js';
import { bffSdlsOf } from '../compose/bffSdls.js';
import type { ResponseCacheStore } from '../stores/response-cache/responseCacheStore.js';
import type { RevocationStores } from '../stores/revocations/createRevocationStores.js';
import { useMultipartSubscriptions } from '../plugins/subscriptions/useMultipartSubscriptions.js';
import { useTrustedDocuments, type TrustedDocumentsOptions } from '../plugins/trusted-documents/useTrustedDocuments.js';
import { useSubscriptionPolicies } from '../plugins/subscriptions/useSubscriptionPolicies.js';
import type { SubscriptionRegistry } from '../plugins/subscriptions/subscriptionRegistry.js';
import { useHeaderRules } from '../plugins/headers/useHeaderRules.js';

export interface PipelineDeps {
  logger: Logger;
  /** The BFF's readiness, which the server turns off on drain; `/readyz` reports it. */
  readiness: Readiness;
  /** Each of the BFF's sources' breaker state, for `/readyz`. */
  sourceHealth?: () => Record<string, unknown>;
  /** The planner composed with the schema (composeBffSchema); absent, execution is stitching's. */
  planner?: QueryPlanner | undefined;
  /** The BFF's partner REST routes (src/partner-rest/loadStoredOperations.ts). */
  routes?: PartnerRoutes | undefined;
  /** The sources registry: the cost plugin reads `@cost`/`@listSize` from their SDL. */
  sources?: Readonly<Record<string, LoadedSource>>;
  /** The process's rate-limit stores (memory, or Redis shared by the fleet). */
  rateLimitStores?: RateLimitStores;
  /** The process's JWT revocation stores (memory, or Redis shared by the fleet). */
  revocationStores?: RevocationStores;
  /** The BFF's trusted documents, its REST route operations included (src/partner-rest/loadStoredOperations.ts). */
  trustedDocuments?: TrustedDocumentsOptions;
  /** The process's tracer; absent when tracing is off, and then no tracing plugin is installed. */
  tracing?: PorticoTracing | undefined;
  /** Root config `accessLog` and `metrics` (src/config/operationsSchema.ts). */
  accessLog?: AccessLogConfig;
  metrics?: RequestMetricsConfig;
  /** The process's response-cache store; required by a BFF with `responseCache.enabled`. */
  responseCacheStore?: ResponseCacheStore;
  /** The process's open subscriptions (caps, expiry, revocation, drain); absent, none are policed. */
  subscriptions?: SubscriptionRegistry;
  /** `Retry-After` (seconds) when the process holds all the subscriptions it may. */
  subscriptionsRetryAfterSeconds?: number;
}

/** A BFF's request path: what the server's yoga runs, and the way back into it for re-entry. */
export interface Pipeline {
  plugins: PipelinePlugin[];
  /** Bound by the server to its yoga; partner routes re-enter the pipeline through it. */
  entry: PipelineEntry;
  /** The GraphiQL page, its assets served by this pipeline (useGraphiQLAssets); absent in production mode. */
  renderGraphiQL?: (options?: GraphiQLOptions) => string;
  /** The auth plugin's check of a WebSocket's `connection_init` credentials (src/server/attachGraphQLWs.ts). */
  connect: ConnectionCheck;
}

/**
 * The BFF's request path, written once, in the order a request meets it, execution and error
 * masking included: no other file in src/ builds a yoga plugin list. Array position only orders
 * plugins within one phase (yoga runs onRequest → onParams → parse → validate → context →
 * execute → result); each plugin's hooks decide its phase, and the list follows that order.
 */
export function buildPipeline(bff: LoadedBff, deps: PipelineDeps): Pipeline {
  // Policy directives are read from the SDLs behind the schema, once per BFF (start or reload).
  const sdls = bffSdlsOf(bff, deps.sources ?? {});
  const entry = createPipelineEntry();
  const auth = useAuth({ ...bff.auth, realm: bff.name, logger: deps.logger, revocationStore: deps.revocationStores?.get(bff.auth.revocations.store), claimsBySource: claimsBySource(bff, deps.sources) });
  const plugins: (PipelinePlugin | false)[] = [
    // ① HTTP edge
    // spans wrap every phase (yoga instrumentation); installed only when tracing is on
    deps.tracing !== undefined && useTracing({ tracer: deps.tracing.tracer, trustIncomingTraceparent: deps.tracing.trustIncomingTraceparent, bff: bff.name }),
    useRequestId(),
    // CORS, in onRequest: preflights are answered before anything else; every answer, errors
    // included, gets the grant for a listed origin (and none for another)
    bff.cors !== undefined && useCors(bff.cors),
    // /readyz answers in onRequest, before anything below looks at the request
    useHealthEndpoints({ readiness: deps.readiness, ...(deps.sourceHealth ? { sources: deps.sourceHealth } : {}) }),
    // GraphiQL's own files, from this process rather than a CDN (no GraphiQL in production mode)
    !bff.production && useGraphiQLAssets(),
    useRequestDeadline({ budgetMs: bff.resilience.requestBudgetMs }),
    useParamsCheck(),
    useAccessLog({ logger: deps.logger, bff: bff.name, ...(deps.accessLog?.subjectHashKey ? { subjectHashKey: deps.accessLog.subjectHashKey } : {}) }),
    useRequestMetrics({ bff: bff.name, ...(deps.metrics ? { maxOperationNames: deps.metrics.maxOperationNames, clients: deps.metrics.clients } : {}) }),
    // CSRF, in onRequestParse (no cross-site-sendable GET or POST without a preflight header) and
    // onParse (no mutation over GET): refused before anything else looks at the request
    useCsrfPrevention(bff.csrf),
    // file uploads, in onRequestParse after CSRF (a multipart POST needs the preflight header):
    // refused when off; else the multipart body is streamed, its files claimed at execution
    useUploads({ ...bff.uploads, maxFieldBytes: bff.http.maxBodyBytes, maxDrainBytes: bff.http.maxDrainBytes }),
    // request shape, in onRequestParse: duplicate parameters and JSON nested past
    // limits.maxJsonDepth are refused before JSON.parse and before the document is parsed
    useRequestShape({ maxJsonDepth: bff.limits.maxJsonDepth }),
    // ③ authenticate, in onRequestParse: before the body is parsed, so invalid credentials reach
    // no later phase (validation, rate limit, response cache, subgraphs)
    auth,
    // trusted documents, in onParams: a document id becomes its stored text; in stored-only mode
    // any other document is refused before it is parsed
    deps.trustedDocuments !== undefined && useTrustedDocuments(deps.trustedDocuments),
    // ① admission, in onParams: the first hook that knows the operation (its name is its
    // priority), before parsing and any upstream call, so shedding costs almost nothing
    bff.loadShedding.enabled && useLoadShedding({ ...bff.loadShedding, bff: bff.name, logger: deps.logger }),
    // ② validate: batch size once the body is parsed, tokens while parsing, depth/aliases/
    // directives as one validation rule; each refused with its own code
    useQueryLimits(bff.limits),
    bff.production && useProductionMode(),
    useCostLimit({ ...bff.cost, directives: collectCostDirectives(sdls, bff.rename) }),
    // ④ rate limit (execute, before any resolver): charges the cost once auth has named the caller
    bff.rateLimit !== undefined && useRateLimit({ ...bff.rateLimit, bff: bff.name, store: deps.rateLimitStores?.forBff(bff.name, bff.rateLimit) }),
    // ⑦ execute by plan: the engine's execute function becomes the planner's (stitching is its
    // fallback). Listed before the two plugins that wrap execution (response cache, field authz),
    // because a later setExecuteFn wraps an earlier one: they must wrap the plan, not replace it
    useQueryPlanner({ planner: deps.planner, bff: bff.name, logger: deps.logger }),
    // @defer/@stream (docs/defer-stream.md): each part of the operation runs through the plan
    // above on its own; wraps it, and is wrapped by the cache and authz, which see one operation
    useIncrementalDelivery(),
    // ⑥ response cache: it answers (or stores) inside the execute function, so after every check
    // above and below, auth, cost, rate limit and authz included; it must stay before field authz,
    // whose per-caller pruning wraps it and so makes it step aside (useResponseCache.ts)
    bff.responseCache.enabled &&
      useResponseCache({
        ...bff.responseCache,
        bff: bff.name,
        hints: collectCacheHints(sdls, bff.rename),
        store: required(deps.responseCacheStore, 'responseCacheStore', bff.name),
        logger: deps.logger,
      }),
    // ⑤ authorize fields (@public/@auth/@requiresScopes) and ownership (@owner): after
    // validation (uncached: the answer depends on the caller and the variables) and again at
    // execute, before any resolver, so a denied field never reaches a source; 'null' mode cuts
    // the fields from the executed document; owner arguments left out are filled at execute
    useFieldAuthz({
      ...bff.authz,
      declared: collectFieldPolicy(sdls),
      owners: collectOwnerPolicy(sdls),
      challenge: authChallenge(bff),
      // @policy's functions (bffs/<name>/policies.ts), every name the SDLs use checked here
      policies: checkPolicyFunctions(sdls, bff.policyModule, bff.policies && displayPath(path.resolve(path.dirname(bff.file), bff.policies))),
      onPolicyError: (error, policy, field) => deps.logger.error({ bff: bff.name, err: error, policy, field }, 'policy function failed; field denied'),
    }),
    // ⑤b long-lived operations: caps, credential life, bounded buffer, drain, as a layer over
    // the event stream; after every plugin that may refuse a subscription, so none holds a slot
    deps.subscriptions !== undefined &&
      useSubscriptionPolicies({
        registry: deps.subscriptions,
        bff: bff.name,
        ...bff.subscriptions,
        ...(deps.subscriptionsRetryAfterSeconds !== undefined ? { retryAfterSeconds: deps.subscriptionsRetryAfterSeconds } : {}),
      }),
    // ⑨ result: which parts of the answer came from the fallback cache
    useStaleExtensions(),
    // ⑨ answer: a subscription asked for as Apollo's multipart protocol is written as it (yoga
    // writes SSE and JSON itself); in onResultProcess, after everything above shaped the events
    useMultipartSubscriptions(),
    // header rules: registered in onRequest (before any source call; the source transport applies
    // them), written in onResponse, after the response cache's own Cache-Control, which the
    // strictest-wins merge reads as one more part (docs/headers.md)
    useHeaderRules({
      headers: bff.headers,
      sources: Object.fromEntries(bff.sources.map((name) => [name, headerRulesOf(deps.sources?.[name])])),
      apiKeyHeader: bff.auth.apiKeys.header,
    }),
    // ⑨ mask: only errors thrown on purpose reach the client; the rest go to the log
    useErrorMasking({ onMasked: (error) => deps.logger.error({ bff: bff.name, err: error }, 'masked error') }),
    // Partner REST routes come last in onRequest, once the request hooks above (id, deadline, log,
    // trace) have seen the route request; each route then re-enters this whole pipeline as a
    // GraphQL request for its stored operation (src/partner-rest/).
    deps.routes !== undefined && usePartnerRoutes({ ...deps.routes, pipeline: entry }),
    // parse and validate each operation text once; last, so the rule set it caches by holds every
    // rule the plugins above add (limits, cost, authz, @defer/@stream, production mode)
    useDocumentCache(),
  ];
  return {
    plugins: plugins.filter((plugin): plugin is PipelinePlugin => plugin !== false),
    entry,
    connect: auth.checkConnection,
    // The page that loads what useGraphiQLAssets serves; yoga's own loads it from a CDN.
    ...(bff.production ? {} : { renderGraphiQL: (options?: GraphiQLOptions) => renderGraphiQLPage(options, GRAPHIQL_ASSET_BASE) }),
  };
}

/** The `WWW-Authenticate` of a field denied to an anonymous caller: the schemes this BFF takes. */
function authChallenge(bff: LoadedBff): string {
  const challenges: string[] = [];
  if (bff.auth.jwt || !bff.auth.apiKeys.enabled) challenges.push(`Bearer realm="${bff.name}"`);
  if (bff.auth.apiKeys.enabled) challenges.push(`ApiKey realm="${bff.name}", header="${bff.auth.apiKeys.header}"`);
  return challenges.join(', ');
}

/** The BFF's sources that list JWT claims to receive (docs/identity.md), by source name. */
function claimsBySource(bff: LoadedBff, sources: PipelineDeps['sources']): Record<string, readonly string[]> {
  return Object.fromEntries(
    bff.sources.flatMap((name) => {
      const source = sources?.[name];
      // A Redis event source is read from Redis, never called: no headers, no claims.
      return source && 'claims' in source && source.claims?.length ? [[name, source.claims]] : [];
    }),
  );
}

/** A source's header rules; a Redis event source has none (nothing is sent to it). */
function headerRulesOf(source: LoadedSource | undefined) {
  return source && 'headers' in source ? source.headers : undefined;
}

function required<T>(value: T | undefined, dep: string, bff: string): T {
  if (value === undefined) throw new Error(`BFF ${bff}: the pipeline needs ${dep}`);
  return value;
}
