import { execute, validate, type ExecutionResult } from 'graphql';
import type { ExecutionRequest, Executor } from '@graphql-tools/utils';
import { buildFixtureSchema, type FixtureSubgraph } from '../fixtures/federation/fixtureSubgraph.js';

/**
 * Executors that validate and run each fixture subgraph's schema in this process (built by @apollo/subgraph,
 * as `runFixture.ts` serves it). Answers go through JSON as they would over HTTP, so the gateway
 * sees plain objects and formatted errors, never graphql-js instances.
 */
export function inProcessSubgraphs(subgraphs: readonly FixtureSubgraph[]) {
  const schemas = new Map(subgraphs.map((subgraph) => [subgraph.name, buildFixtureSchema(subgraph)]));
  /** Every document each subgraph was sent, in order: a plan reused sends the very same object. */
  const documents: ExecutionRequest['document'][] = [];
  const executorFor = (subgraph: { name: string }): Executor => {
    const schema = schemas.get(subgraph.name);
    if (!schema) throw new Error(`no in-process subgraph ${subgraph.name}`);
    return (async (request: ExecutionRequest) => {
      documents.push(request.document);
      // As a subgraph server would: a document it cannot validate (two types under one response
      // key, a fragment on a type it does not know) is refused whole.
      const invalid = validate(schema, request.document);
      if (invalid.length > 0) return JSON.parse(JSON.stringify({ errors: invalid })) as ExecutionResult;
      const result = (await execute({
        schema,
        document: request.document,
        variableValues: request.variables ?? {},
        operationName: request.operationName ?? null,
        contextValue: {},
      })) as ExecutionResult;
      return JSON.parse(JSON.stringify(result)) as ExecutionResult;
    }) as Executor;
  };
  return { executorFor, documents };
}
