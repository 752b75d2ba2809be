import path from 'node:path';
import type { SubschemaConfig } from '@graphql-tools/delegate';
import { ConfigError, displayPath } from '../config/configError.js';
import type { LoadedSource } from '../config/loadConfig.js';
import { buildGraphQLSource } from '../sources/graphql/buildGraphQLSource.js';
import { createGraphQLExecutor } from '../sources/graphql/httpExecutor.js';
import { upstreamSubscriptionsSchema } from '../config/subscriptionsSchema.js';
import { createSubscriptionExecutor } from '../sources/graphql/createSubscriptionExecutor.js';
import { buildRestSource } from '../sources/rest/buildRestSource.js';
import { buildRedisEventSource, type EventChannels } from '../sources/redis-events/buildRedisEventSource.js';
import { composeSupergraph } from '../sources/federation/composeSupergraph.js';
import {
  buildSupergraphSubschemas,
  type SupergraphStitchingOptions,
} from '../sources/federation/buildSupergraphSubschemas.js';
import type { Executor } from '@graphql-tools/utils';
import type { QueryPlannerOptions } from '../sources/federation/planner/queryPlanner.js';
import type { HttpCall } from '../transport/httpClient.js';

/** A source made ready for stitching; built once and shared by every BFF that includes it. */
export interface SourceRuntime {
  name: string;
  subschemas: SubschemaConfig[];
  /** Stitching options a federation supergraph brings (its type definitions, merge rules). */
  stitching?: Omit<SupergraphStitchingOptions, 'subschemas'>;
  /** A federation source with its query planner on: what a supergraph-only BFF plans with. */
  planner?: Omit<QueryPlannerOptions, 'onFallback'>;
}

export interface SourceRuntimeDeps {
  /**
   * The HTTP call for a source (or `source/subgraph` of a federation source): the shared pool
   * wrapped in that source's transport policies.
   */
  httpFor(source: string): HttpCall;
  /** The process's event channels on Redis, for `redis-events` sources (created on first use). */
  eventChannels?: () => EventChannels;
}

export function buildSourceRuntime(source: LoadedSource, deps: SourceRuntimeDeps): SourceRuntime {
  switch (source.kind) {
    case 'graphql': {
      const executor = createGraphQLExecutor({
        source: source.name,
        url: source.url,
        http: deps.httpFor(source.name),
        subscriptions: createSubscriptionExecutor({ ...source.subscriptions, source: source.name, sourceUrl: source.url }),
      });
      const subschema = buildGraphQLSource({ name: source.name, sdl: source.sdl!, executor, merge: source.merge });
      return { name: source.name, subschemas: [subschema] };
    }
    case 'rest': {
      const subschema = buildRestSource({
        name: source.name,
        sdl: source.sdl!,
        baseUrl: source.baseUrl,
        http: deps.httpFor(source.name),
        maxConcurrency: source.maxConcurrency,
        maxBatchSize: source.maxBatchSize,
        file: displayPath(path.resolve(path.dirname(source.file), source.schema)),
      });
      return { name: source.name, subschemas: [subschema] };
    }
    case 'redis-events': {
      const channels = deps.eventChannels;
      if (!channels) throw new Error(`${source.name}: a redis-events source needs the deployment's Redis`);
      return { name: source.name, subschemas: [buildRedisEventSource({ name: source.name, sdl: source.sdl!, channels })] };
    }
    case 'federation': {
      const supergraphSdl =
        source.supergraphSdl ??
        composeSupergraph(
          (source.subgraphs ?? []).map((s) => ({ name: s.name, url: s.url, sdl: source.subgraphSdls![s.name]! })),
        );
      const executors = new Map<string, Executor>();
      const { subgraphs, subschemas, ...stitching } = buildSupergraphSubschemas({
        supergraphSdl,
        // Each subgraph is its own upstream: its own breaker, so one failing subgraph does not cut off the others.
        executorFor: (subgraph) => {
          const name = `${source.name}/${subgraph.name}`;
          const configured = source.subgraphs?.find((s) => s.name === subgraph.name)?.subscriptions;
          const executor = createGraphQLExecutor({
            source: name,
            url: subgraph.url,
            http: deps.httpFor(name),
            // A supergraph file names no per-subgraph config: its subgraphs get the defaults.
            subscriptions: createSubscriptionExecutor({ ...(configured ?? upstreamSubscriptionsSchema.parse({})), source: name, sourceUrl: subgraph.url }),
          });
          executors.set(subgraph.name, executor);
          return executor;
        },
      });
      // Listed subgraphs were checked with the config; a supergraph file's names are known only now.
      for (const name of Object.keys(source.subgraphTraffic ?? {})) {
        if (!subgraphs.some((subgraph) => subgraph.name === name)) {
          throw new ConfigError(displayPath(source.file), `${source.name}.subgraphTraffic.${name}`, `no subgraph named "${name}" in the supergraph (subgraphs: ${subgraphs.map((subgraph) => subgraph.name).join(', ')})`);
        }
      }
      return {
        name: source.name,
        subschemas,
        stitching,
        ...(source.queryPlanner ? { planner: { supergraphSdl, executors } } : {}),
      };
    }
  }
}
