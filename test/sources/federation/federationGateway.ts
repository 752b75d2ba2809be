import { graphql, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Executor } from '@graphql-tools/utils';
import { buildSupergraphSchema } from '../../../src/sources/federation/buildSupergraphSchema.js';
import { createGraphQLExecutor } from '../../../src/sources/graphql/httpExecutor.js';
import { createHttpClient, type HttpClient } from '../../../src/transport/httpClient.js';


export interface FederationGateway {
  schema: GraphQLSchema;
  /** Runs one operation; `calls` counts the upstream requests it made, per subgraph. */
  run(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ result: ExecutionResult; calls: Record<string, number> }>;
  close(): Promise<void>;
}

/** Executors that count calls per subgraph, so a test can assert which subgraphs a query used. */
export function countingExecutors(http: HttpClient) {
  const calls: Record<string, number> = {};
  const executorFor = (subgraph: { name: string; url: string }): Executor => {
    const executor = createGraphQLExecutor({ source: subgraph.name, url: subgraph.url, http: http.call });
    return (request) => {
      calls[subgraph.name] = (calls[subgraph.name] ?? 0) + 1;
      return executor(request);
    };
  };
  return { calls, executorFor };
}

/** The supergraph served the way `portico serve --supergraph` serves it, minus the HTTP edge. */
export function federationGateway(supergraphSdl: string): FederationGateway {
  const http = createHttpClient();
  const { calls, executorFor } = countingExecutors(http);
  const schema = buildSupergraphSchema({ supergraphSdl, executorFor });
  return {
    schema,
    async run(query, variables) {
      for (const name of Object.keys(calls)) delete calls[name];
      const result = await graphql({ schema, source: query, variableValues: variables ?? null, contextValue: {} });
      return { result, calls: { ...calls } };
    },
    close: () => http.close(),
  };
}
