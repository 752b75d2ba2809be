import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { isAsyncIterable } from '@envelop/core';
import type { Plugin } from 'graphql-yoga';
import type { RateLimitConfig } from '../../config/rateLimitSchema.js';
import { operationCostOf } from '../../context/operationCost.js';
import { ANONYMOUS, type Principal } from '../../context/principal.js';
import type { RequestScope } from '../../context/requestScope.js';
import { porticoError } from '../../errors/index.js';
import { consoleFeed, type ConsoleFeed } from '../../observability/console/consoleFeed.js';
import { createMemoryRateLimitStore } from '../../stores/rate-limit/memoryRateLimitStore.js';
import type { RateLimitStore } from '../../stores/rate-limit/rateLimitStore.js';
import { chargeEvents } from './chargeEvents.js';
import { countDecision } from './rateLimitMetrics.js';
import { rateLimitHeaders, retryAfterSeconds } from './rateLimitHeaders.js';
import { createBucketSelector, selectBuckets } from './selectBuckets.js';

/** The BFF's `rateLimit` config (src/config/rateLimitSchema.ts documents each key) plus its wiring. */
export interface RateLimitOptions extends Pick<RateLimitConfig, 'tiers'>, Partial<Pick<RateLimitConfig, 'headers' | 'chargeSubscriptionEvents'>> {
  /** Names the BFF in metrics. */
  bff: string;
  /**
   * Where the buckets live (`createRateLimitStores(...).forBff(...)`: memory, or Redis with the
   * BFF's fail mode). @default a memory store of this plugin's own
   */
  store?: RateLimitStore;
  /**
   * The client's address, for the `anonymous` tier.
   * @default the TCP peer address: X-Forwarded-For is the client's to write unless a proxy the
   * gateway trusts rewrites it, and nothing here knows which proxies those are.
   */
  clientAddress?: (context: RateLimitContext) => string | undefined;
  /** The operator console's ring buffer: refusals by plan and tenant. @default the process's */
  feed?: ConsoleFeed;
}

export interface RateLimitContext {
  portico?: RequestScope;
  req?: { socket?: { remoteAddress?: string } };
}

/** The caller as the console's refusal table names it: tenant, else subject; never an address. */
function tenantOf(principal: Principal): string {
  if (principal.tenant !== undefined) return principal.tenant;
  return principal.kind === 'anonymous' ? '(anonymous)' : `sub:${principal.subject}`;
}

const NO_COORDINATES: ReadonlySet<string> = new Set();
const peerAddress = (context: RateLimitContext) => context.req?.socket?.remoteAddress;

/**
 * Charges each operation's cost (recorded in validation by the cost plugin; 1 without it) to
 * every tier that applies to the caller, in one atomic store call, after authentication (the
 * tenant and plan come from `context.portico.principal`) and before anything executes.
 * Over the limit: 429 RATE_LIMITED with `Retry-After`, `RateLimit` and `RateLimit-Policy`.
 * Admitted: the same two RateLimit fields on the response, unless `headers` is off; an answer
 * given before execution (nothing charged) carries them too, read with a charge of 0.
 * A store that cannot answer while failing closed: 503 RATE_LIMIT_UNAVAILABLE.
 */
export function useRateLimit(options: RateLimitOptions): Plugin<RateLimitContext> {
  const { bff, tiers } = options;
  const store = options.store ?? createMemoryRateLimitStore();
  const clientAddress = options.clientAddress ?? peerAddress;
  const feed = options.feed ?? consoleFeed();
  // Headers for the response, keyed by the request's scope (shared by a batch's operations).
  const admittedHeaders = new WeakMap<RequestScope, Record<string, string>>();
  const bucketsFor = createBucketSelector(tiers);

  /** Undefined when admitted; the error that replaces the result otherwise. */
  const decide = async (args: ExecutionArgs) => {
    const context = args.contextValue as RateLimitContext;
    const scope = context.portico;
    const recorded = operationCostOf(args.contextValue as object);
    // Every operation costs at least a point: `{ __typename }` costs nothing to execute, but a
    // flood of them still costs the gateway its parsing, auth and sockets.
    const cost = Math.max(1, recorded?.cost ?? 1);
    const buckets = bucketsFor({ principal: scope?.principal ?? ANONYMOUS, address: clientAddress(context) }, recorded?.coordinates ?? NO_COORDINATES);
    if (buckets.length === 0) return undefined;

    // No wait makes this affordable for the caller's tier: say so instead of a Retry-After that lies.
    const tooBig = buckets.find((bucket) => cost > bucket.limit);
    if (tooBig) {
      countDecision(bff, 'over_capacity');
      return porticoError('COST_LIMIT_EXCEEDED', {
        message: `The query costs more than the "${tooBig.policy}" rate-limit tier can ever admit.`,
        details: { cost: { estimated: cost, max: tooBig.limit, policy: tooBig.policy } },
      });
    }

    let consumption;
    try {
      consumption = await store.consume(buckets, cost);
    } catch {
      countDecision(bff, 'unavailable');
      return porticoError('RATE_LIMIT_UNAVAILABLE', { headers: { 'Retry-After': '1' } });
    }
    const headers = rateLimitHeaders(buckets, consumption.remaining);
    if (consumption.admitted) {
      countDecision(bff, 'admitted');
      if (options.headers !== false && scope) admittedHeaders.set(scope, headers);
      return undefined;
    }
    countDecision(bff, 'limited');
    const principal = scope?.principal ?? ANONYMOUS;
    feed.rateLimited(bff, principal.plan ?? `(${principal.kind === 'anonymous' ? 'anonymous' : 'no plan'})`, tenantOf(principal));
    const retryAfter = retryAfterSeconds(buckets, consumption.remaining, cost);
    const refused = buckets.filter((bucket, i) => (consumption.remaining[i] ?? 0) < cost).map((bucket) => bucket.policy);
    return porticoError('RATE_LIMITED', {
      headers: { 'Retry-After': String(retryAfter), ...headers },
      details: { rateLimit: { policies: refused, cost, retryAfter } },
    });
  };

  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const error = await decide(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const error = await decide(args);
      if (error) {
        setResultAndStopExecution({ errors: [error] });
        return undefined;
      }
      if (options.chargeSubscriptionEvents !== true) return undefined;
      // Each event is charged as the subscribe was (same cost, same buckets); an event the
      // buckets cannot pay ends the subscription with that refusal (RATE_LIMITED).
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(chargeEvents(result as AsyncIterable<ExecutionResult>, () => decide(args)));
        },
      };
    },
    onResponse({ response, serverContext }) {
      const context = serverContext as RateLimitContext | undefined;
      const scope = context?.portico;
      // A refusal carries its own fields (from the error); they describe the state after it.
      if (options.headers === false || !scope || response.headers.has('RateLimit')) return;
      const headers = admittedHeaders.get(scope);
      if (headers) {
        for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
        return;
      }
      // Answered before execution (a refused document, a CSRF or auth refusal, a health check):
      // nothing was charged, but the caller still learns where it stands, from a charge of 0.
      const buckets = selectBuckets(tiers, { principal: scope.principal, address: clientAddress(context) }, NO_COORDINATES);
      if (buckets.length === 0) return;
      return store.consume(buckets, 0).then(
        (consumption) => {
          for (const [name, value] of Object.entries(rateLimitHeaders(buckets, consumption.remaining))) response.headers.set(name, value);
        },
        () => undefined,
      );
    },
  };
}
