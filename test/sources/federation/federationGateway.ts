import { execute, parse, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Executor } from '@graphql-tools/utils';
import { buildSupergraphSchema, type SupergraphSchemaOptions } from '../../../src/sources/federation/buildSupergraphSchema.js';
import { createGraphQLExecutor } from '../../../src/sources/graphql/httpExecutor.js';
import { createHttpClient, type HttpClient } from '../../../src/transport/httpClient.js';

/** How a gateway executes: stitching's per-request delegation, or cached query plans. */
export type FederationEngine = 'stitching' | 'planner';
export const ENGINES: readonly FederationEngine[] = ['stitching', 'planner'];

export interface FederationGateway {
  schema: GraphQLSchema;
  /**
   * Runs one operation; `calls` counts the upstream requests it made, per subgraph. Pass the
   * same parsed document twice to reach the planner's plan cache (it is keyed by document).
   */
  run(
    query: string | DocumentNode,
    variables?: Record<string, unknown>,
    /** The request's signal, as yoga passes it: it aborts when the client leaves. */
    signal?: AbortSignal,
  ): Promise<{ result: ExecutionResult; calls: Record<string, number> }>;
  /** Operations the planner handed to stitching, with why (planner engine only). */
  fallbacks: string[];
  close(): Promise<void>;
}

/** Real HTTP executors to each subgraph's URL, through one client. */
export function httpExecutors(http: HttpClient) {
  return (subgraph: { name: string; url: string }): Executor =>
    createGraphQLExecutor({ source: subgraph.name, url: subgraph.url, http: http.call });
}

/** Executors that count calls per subgraph, so a test can assert which subgraphs a query used. */
export function countingExecutors(inner: (subgraph: { name: string; url: string }) => Executor) {
  const calls: Record<string, number> = {};
  const executorFor = (subgraph: { name: string; url: string }): Executor => {
    const executor = inner(subgraph);
    return (request) => {
      calls[subgraph.name] = (calls[subgraph.name] ?? 0) + 1;
      return executor(request);
    };
  };
  return { calls, executorFor };
}

export interface FederationGatewayOptions {
  /**
   * How a subgraph is called, by name and URL; calls are counted around it.
   * @default a real HTTP executor to the supergraph's URL
   */
  executorFor?: (subgraph: { name: string; url: string }) => Executor;
  planner?: SupergraphSchemaOptions['planner'];
}

/** The supergraph served the way `portico serve --supergraph` serves it, minus the HTTP edge. */
export function federationGateway(
  supergraphSdl: string,
  engine: FederationEngine = 'stitching',
  options: FederationGatewayOptions = {},
): FederationGateway {
  const http = createHttpClient();
  const { calls, executorFor } = countingExecutors(
    options.executorFor ?? httpExecutors(http),
  );
  const fallbacks: string[] = [];
  const { schema, planner } = buildSupergraphSchema({
    supergraphSdl,
    executorFor,
    queryPlanner: engine === 'planner',
    onPlannerFallback: (reason) => fallbacks.push(reason),
    ...(options.planner ? { planner: options.planner } : {}),
  });
  return {
    schema,
    fallbacks,
    async run(query, variables, signal) {
      for (const name of Object.keys(calls)) delete calls[name];
      const document = typeof query === 'string' ? parse(query) : query;
      const errors = validate(schema, document);
      if (errors.length > 0) return { result: { errors }, calls: { ...calls } };
      const args = { schema, document, variableValues: variables ?? null, contextValue: {}, ...(signal ? { signal } : {}) };
      const result = (await (planner ? planner(args, (fallbackArgs) => execute(fallbackArgs)) : execute(args))) as ExecutionResult;
      return { result, calls: { ...calls } };
    },
    close: () => http.close(),
  };
}
