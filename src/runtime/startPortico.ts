import { nodeAdapterEnabled } from '../config/nodeAdapterEnv.js';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { PorticoConfig } from '../config/loadConfig.js';
import { buildSourceRuntime, type SourceRuntime } from '../compose/buildSourceRuntime.js';
import { composeBffSchema } from '../compose/composeBffSchema.js';
import { buildPipeline } from '../pipeline/buildPipeline.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../transport/httpClient.js';
import { createSourceTransports, type SourceTransports } from '../transport/createSourceTransports.js';
import { startAdminServer, type AdminServer } from './adminServer.js';
import { porticoAdminActions } from './adminActions.js';
import { startBffServer, type BffApp, type RunningBff } from '../server/createBffServer.js';
import { createConfigReloader, type ReloadOutcome, type ReloadTrigger } from './configReloader.js';
import { joinFleet, type Fleet } from './fleet.js';
import { shareRollbacks, type FleetRollbacks } from './fleetRollbacks.js';
import { reloadRefusal, sourcesChanged } from './reloadRefusal.js';
import { createTracing, type PorticoTracing } from '../observability/tracing.js';
import type { PubSub } from '../stores/pubsub/pubSub.js';
import { createFleetPubSub } from '../stores/pubsub/createFleetPubSub.js';
import { createRateLimitStores } from '../stores/rate-limit/createRateLimitStores.js';
import { createRevocationStores } from '../stores/revocations/createRevocationStores.js';
import { createResponseCacheStore } from '../stores/response-cache/createResponseCacheStore.js';
import type { ResponseCacheStore } from '../stores/response-cache/responseCacheStore.js';
import { loadStoredOperations } from '../partner-rest/loadStoredOperations.js';
import { createReadiness, type Readiness } from '../context/readiness.js';
import { consoleFeed } from '../observability/console/consoleFeed.js';
import { rateLimitDecisions } from '../plugins/rate-limit/rateLimitMetrics.js';
import { responseCacheMetrics } from '../plugins/response-cache/responseCacheMetrics.js';
import { createOperatorConsole, type OperatorConsole } from './console/operatorConsole.js';
import { joinRoster, type FleetRoster } from './fleetRoster.js';
import { createEventChannels } from '../stores/pubsub/createEventChannels.js';
import { createSubscriptionRegistry } from '../plugins/subscriptions/subscriptionRegistry.js';

export interface Portico {
  bffs: RunningBff[];
  /** Every source's transport: breaker states and their changes. */
  sources: Pick<SourceTransports, 'health' | 'onStateChange'>;
  /** The admin listener (`/metrics`), when the config has `admin`. */
  admin?: AdminServer;
  /** The process's tracer, when tracing is on. */
  tracing?: PorticoTracing;
  /** The fleet channel, when the deployment has a Redis (or `fleet.enabled`). */
  fleet?: Fleet;
  /** Config generation now serving: 1 at start, +1 per applied reload. */
  configVersion(): number;
  /**
   * Reads the config again (StartOptions.loadConfig), builds it beside the running one and swaps
   * it in; requests in flight finish on the old one. An invalid config, or one that changes what
   * needs a restart, is refused and logged, and the old one keeps serving.
   */
  reload(trigger?: ReloadTrigger): Promise<ReloadOutcome>;
  /**
   * Graceful shutdown: readiness off, listeners closed, in-flight requests drained, then Redis,
   * breakers, pools and the tracer closed. Without `graceMs` the config's `shutdown` settings
   * apply (the unready delay, then `drainTimeoutMs`); with it, no delay and that drain deadline.
   */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  /** Reads the config files afresh, for reloads; without it a reload is refused. */
  loadConfig?: () => Promise<PorticoConfig>;
  /** The shared upstream pool (src/transport/httpClient.ts documents each default). */
  httpClient?: HttpClientOptions;
  /** GraphQL POSTs through the node adapter (src/server/nodeYogaAdapter.ts). @default `PORTICO_NODE_ADAPTER`, on unless `off` */
  nodeAdapter?: boolean;
}

/**
 * Builds every source once, composes each BFF's schema and starts its server. Start-up uses the
 * SDL files in schemas/, never the live upstreams, so an unreachable source degrades the fields
 * it serves (coded errors at their paths) instead of keeping the gateway down.
 */
export async function startPortico(config: PorticoConfig, options: StartOptions): Promise<Portico> {
  const { logger } = options;
  // Read before anything starts: a misspelt value stops start-up naming the variable.
  const nodeAdapter = options.nodeAdapter ?? nodeAdapterEnabled();
  // Families a BFF may not use are still exported (without samples), so the dashboards and alert
  // rules in deploy/ name series that exist whatever the config enables.
  rateLimitDecisions();
  responseCacheMetrics();
  const http: HttpClient = createHttpClient(options.httpClient);
  // Sources with `tls` (CA bundle, client certificate, HTTP/2) get pools of their own.
  http.useSources(config.sources);
  // Automatic rollbacks shared with the fleet (src/runtime/fleetRollbacks.ts), once it has joined.
  let rollbacks: FleetRollbacks | undefined;
  // One transport (breaker, retry budget, fallback cache) per source, shared by every BFF.
  const stateListeners = new Set<Parameters<SourceTransports['onStateChange']>[0]>();
  const makeTransports = (cfg: PorticoConfig) => {
    const created = createSourceTransports({
      sources: cfg.sources,
      http: http.call,
      fallbackCache: cfg.fallbackCache,
      redis: cfg.redis,
      logger,
      // One switch for both kinds of sharing (`portico serve --no-dedup`): the pool's and the chain's.
      ...(options.httpClient?.dedupeInFlight === false ? { shareCalls: false } : {}),
    });
    created.onStateChange((source, state) => {
      for (const listener of stateListeners) listener(source, state);
    });
    // A rollback decided here is announced to the fleet, once it has joined (docs/traffic.md).
    created.onRollback((source, rollback) => rollbacks?.announce(source, rollback));
    return created;
  };
  // Replaced by a reload that changes the sources registry; everything reads it through this variable.
  let transports = makeTransports(config);
  // Spans for every phase and upstream call; undefined (and free) unless tracing is on.
  const tracing = await createTracing(config.tracing);
  // Rate-limit buckets, per BFF: in memory, or in the fleet's Redis.
  const rateLimitStores = createRateLimitStores({ redis: config.redis, logger });
  // JWT revocations, shared by every BFF: in memory, or in the fleet's Redis.
  const revocationStores = createRevocationStores({ redis: config.redis, logger });
  // Whole-response cache entries, shared by every BFF that enables it: in memory, or in the
  // fleet's Redis. Created when the first BFF enables the cache (at start or on reload).
  let responseCacheStore: ResponseCacheStore | undefined;
  const responseCacheStoreFor = (cfg: PorticoConfig) =>
    (responseCacheStore ??= createResponseCacheStore(cfg.responseCache, {
      redis: cfg.redis,
      logger,
      // A query older than an invalidation may still be running for up to its request budget.
      invalidationMemoryMs: Math.max(...cfg.bffs.map((bff) => bff.resilience.requestBudgetMs)),
    }));
  // Open subscriptions of every BFF, for the life of the process: a reload keeps them (they run on
  // the schema they started on) and their caps; an expiry, a revocation or the drain ends them.
  const subscriptions = createSubscriptionRegistry({ maxPerProcess: config.subscriptions?.maxPerProcess ?? 10_000 });
  // The channels Redis event sources listen on: one subscriber connection, kept across reloads.
  let eventChannels: PubSub | undefined;
  const redisForEvents = config.redis;
  const eventChannelsOf = redisForEvents ? () => (eventChannels ??= createEventChannels(redisForEvents, logger)) : undefined;
  // One per BFF for the life of the process: the server turns it off on drain, /readyz reads it.
  const readiness = new Map<string, Readiness>();
  const readinessOf = (name: string) => readiness.get(name) ?? readiness.set(name, createReadiness()).get(name)!;
  const sourcesOf = (name: string) => config.bffs.find((candidate) => candidate.name === name)?.sources ?? [];
  // Everything a config describes per BFF, built beside whatever is serving: at start and on reload.
  const buildApps = async (cfg: PorticoConfig, sourceTransports: SourceTransports): Promise<Map<string, BffApp>> => {
    const runtimes = new Map<string, SourceRuntime>();
    const used = new Set(cfg.bffs.flatMap((bff) => bff.sources));
    for (const name of used) {
      const source = cfg.sources[name]!;
      runtimes.set(name, buildSourceRuntime(source, { httpFor: (upstream) => sourceTransports.httpFor(upstream), ...(eventChannelsOf ? { eventChannels: eventChannelsOf } : {}) }));
    }
    const apps = new Map<string, BffApp>();
    for (const bff of cfg.bffs) {
      const { schema, planner } = composeBffSchema(bff, runtimes);
      // REST routes and trusted documents: read and checked against the schema before serving.
      const { routes, trustedDocuments } = await loadStoredOperations(bff, schema);
      const pipeline = buildPipeline(bff, {
        logger,
        readiness: readinessOf(bff.name),
        // Read through `transports` and `config` on each call: a reload may replace either.
        sourceHealth: () => transports.health(sourcesOf(bff.name)),
        planner,
        routes,
        ...(trustedDocuments ? { trustedDocuments } : {}),
        sources: cfg.sources,
        rateLimitStores,
        revocationStores,
        ...(bff.responseCache.enabled ? { responseCacheStore: responseCacheStoreFor(cfg) } : {}),
        tracing,
        accessLog: cfg.accessLog,
        metrics: cfg.metrics,
        subscriptions,
        ...(cfg.subscriptions ? { subscriptionsRetryAfterSeconds: cfg.subscriptions.retryAfterSeconds } : {}),
      });
      apps.set(bff.name, { schema, ...pipeline });
    }
    return apps;
  };

  // A token revoked on any instance ends its subscriptions here too (within a pub/sub hop).
  const revocationKinds = [...new Set(config.bffs.map((bff) => revocationStores.resolve(bff.auth.revocations.store)))];
  // Not awaited: a Redis that is down must not keep the gateway down; ioredis subscribes once it
  // is up. The listeners go with the stores when they close.
  for (const kind of revocationKinds) {
    void revocationStores
      .get(kind)
      .onRevoked((jti) => subscriptions.revoked(jti))
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'revocations: cannot listen for revocations; subscriptions end only at their expiry');
      });
  }
  const bffs: RunningBff[] = [];
  let admin: AdminServer | undefined;
  let operatorConsole: OperatorConsole | undefined;
  let roster: FleetRoster | undefined;
  // Named before the fleet exists, so the console and the fleet agree on who this instance is.
  const instanceId = randomUUID();
  try {
    const apps = await buildApps(config, transports);
    for (const bff of config.bffs) {
      // Serve once Redis is connected (or known to be down), so the first requests meet the shared limits.
      await rateLimitStores.ready();
      await revocationStores.ready();
      bffs.push(await startBffServer({ bff, ...apps.get(bff.name)!, logger, readiness: readinessOf(bff.name), nodeAdapter }));
    }
    if (config.admin) {
      const feed = consoleFeed();
      operatorConsole = createOperatorConsole({
        feed,
        instanceId,
        configVersion: () => reloader.version,
        bffs: () => config.bffs.map((bff) => bff.name),
        breakers: () => transports.health(),
        fleet: () => roster?.instances(),
        subscriptions: () => subscriptions.count(),
      });
      // A viewer sees a breaker flip at once, not on the next tick.
      stateListeners.add(() => operatorConsole?.push());
      admin = await startAdminServer({
        ...config.admin,
        logger,
        console: operatorConsole,
        sources: () => transports.health(),
        actions: porticoAdminActions({
          reload: () => reloader.reload('admin'),
          async revoke(jti, expiresAt) {
            // Every kind of store a BFF reads, so the token is refused on all of them.
            const kinds = [...new Set(config.bffs.map((bff) => revocationStores.resolve(bff.auth.revocations.store)))];
            await Promise.all(kinds.map((kind) => revocationStores.get(kind).revoke(jti, expiresAt)));
            logger.info({ jti, stores: kinds }, 'token revoked');
            return kinds;
          },
        }),
      });
    }
  } catch (error) {
    await Promise.all(bffs.map((running) => running.close(0)));
    await transports.close();
    await rateLimitStores.close();
    await revocationStores.close();
    await responseCacheStore?.close();
    await tracing?.shutdown();
    await http.close();
    throw error;
  }

  const apply = async (next: PorticoConfig) => {
    const refusal = reloadRefusal(config, next);
    if (refusal) throw new Error(refusal);
    // Breakers, retry budgets and fallback caches carry over unless the registry changed under them.
    const replaceTransports = sourcesChanged(config, next);
    const nextTransports = replaceTransports ? makeTransports(next) : transports;
    // Traffic rules (docs/traffic.md) change in place, before the build that asks for the routers.
    if (!replaceTransports) nextTransports.retarget(next.sources);
    let apps: Map<string, BffApp>;
    try {
      apps = await buildApps(next, nextTransports);
    } catch (error) {
      if (replaceTransports) await nextTransports.close();
      else nextTransports.retarget(config.sources);
      throw error;
    }
    const previousTransports = transports;
    transports = nextTransports;
    config = next;
    // New TLS files (a rotated client certificate, a new CA) apply from the next upstream call.
    http.useSources(next.sources);
    // Synchronous from here: no request sees one BFF on the new config and another on the old.
    const drained = bffs.map((running) => running.swap(apps.get(running.name)!));
    if (replaceTransports) {
      void Promise.all(drained).then(() => previousTransports.close());
    }
  };
  const reloader = createConfigReloader({
    load: options.loadConfig ?? (() => Promise.reject(new Error('this gateway was started without a config file to reload'))),
    apply,
    logger,
  });
  if (config.reload.watch) {
    reloader.watch(config.files, config.reload.debounceMs);
    reloader.onReload((outcome) => outcome.ok && reloader.watch(config.files, config.reload.debounceMs));
  }
  let pubsub: PubSub | undefined;
  let fleet: Fleet | undefined;
  if (config.fleet.enabled ?? config.redis !== undefined) {
    pubsub = createFleetPubSub(config.redis, logger);
    fleet = joinFleet({ pubsub, reloader, logger, resyncIntervalMs: config.fleet.resyncIntervalMs, instanceId });
    rollbacks = shareRollbacks({ pubsub, instanceId, logger, follow: (source, rollback) => transports.followRollback(source, rollback) });
    const feed = consoleFeed();
    const joined = fleet;
    roster = joinRoster({
      pubsub,
      instanceId,
      appliedVersion: () => joined.appliedVersion(),
      logger,
      summary: () => ({
        ...feed.rates(),
        breakers: Object.fromEntries(
          Object.entries(transports.health())
            .filter(([, health]) => health.breaker !== 'closed')
            .map(([name, health]) => [name, health.breaker]),
        ),
        bffs: config.bffs.map((bff) => bff.name),
      }),
    });
  }

  return {
    bffs,
    sources: {
      health: (only) => transports.health(only),
      onStateChange(listener) {
        stateListeners.add(listener);
        return () => stateListeners.delete(listener);
      },
    },
    ...(admin ? { admin } : {}),
    ...(tracing ? { tracing } : {}),
    ...(fleet ? { fleet } : {}),
    configVersion: () => reloader.version,
    reload: (trigger = 'admin') => reloader.reload(trigger),
    async close(graceMs) {
      reloader.close();
      await roster?.close();
      await fleet?.close();
      await rollbacks?.close();
      if (graceMs === undefined && config.shutdown.unreadyDelayMs > 0) {
        // Load balancers polling /readyz stop routing here while requests are still served.
        for (const running of bffs) running.markUnready();
        await new Promise((resolve) => setTimeout(resolve, config.shutdown.unreadyDelayMs));
      }
      // Every subscription completes now, so its stream ends and its connection can close within
      // the drain; new ones are refused (503) until the listener is gone.
      const completed = subscriptions.drain();
      const reports = await Promise.all(bffs.map((running) => running.close(graceMs ?? config.shutdown.drainTimeoutMs)));
      if (completed > 0) logger.info({ subscriptions: completed }, 'subscriptions completed for the drain');
      logger.info({ drain: Object.fromEntries(bffs.map((running, i) => [running.name, reports[i]])) }, 'drained');
      await admin?.close();
      await transports.close();
      await rateLimitStores.close();
      await revocationStores.close();
      await responseCacheStore?.close();
      await eventChannels?.close();
      await pubsub?.close();
      await tracing?.shutdown();
      await http.close();
    },
  };
}
