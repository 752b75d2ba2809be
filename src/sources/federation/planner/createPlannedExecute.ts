import {
  GraphQLInterfaceType,
  GraphQLUnionType,
  Kind,
  execute,
  getOperationAST,
  getVariableValues,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { MapperKind, mapSchema, type Executor } from '@graphql-tools/utils';
import { FIELD_ERRORS, executePlan } from './executePlan.js';
import { NotPlannable, conditionVariables } from './normalizeOperation.js';
import { planOperation, type QueryPlan } from './planOperation.js';
import type { SupergraphModel } from './supergraphModel.js';

/** Execution arguments as envelop passes them (a signal when the client can abort). */
export type PlannedExecutionArgs = ExecutionArgs & { signal?: AbortSignal };
/** The fallback (stitching); `reason` says why the planner handed the operation over. */
export type ExecuteFn = (args: PlannedExecutionArgs, reason?: string) => unknown;

export interface PlannedExecuteOptions {
  model: SupergraphModel;
  /** The schema clients query (the one validation used); its types shape the answer. */
  schema: GraphQLSchema;
  /** The executor of one subgraph, by composed name; the same ones stitching calls. */
  executorFor(subgraph: string): Executor;
  /** Told once per (document, operation, conditions) that falls back to stitching, and why. */
  onFallback?: (reason: string, operationName: string | undefined) => void;
}

/** Plans kept per document (operations × @skip/@include combinations); beyond it, plans are not kept. */
const MAX_PLANS_PER_DOCUMENT = 32;

/** How an operation runs: its plan, or why stitching runs it instead. */
type Decision = QueryPlan | { notPlannable: string };

interface DocumentPlans {
  fragments: Map<string, FragmentDefinitionNode>;
  conditions: string[];
  byOperation: Map<string, Decision>;
}

/**
 * An `execute` for a supergraph-only schema that runs a plan cached per document instead of
 * stitching's per-request delegation: planning (which subgraph, which keys, which documents)
 * happens once per (document, operation, @skip/@include values), and each request only sends
 * the fetches and merges the answers.
 *
 * The client's answer is then built by graphql-js itself over the merged data (a resolver per
 * field that reads the response key), so aliases, `__typename`, null propagation, enum and
 * scalar serialisation and error paths are exactly graphql-js's. Whatever the planner does not
 * support (see planOperation) runs through `fallback`, stitching, unchanged.
 */
export function createPlannedExecute(options: PlannedExecuteOptions): (args: PlannedExecutionArgs, fallback: ExecuteFn) => unknown {
  const { model } = options;
  const dataSchema = withoutResolvers(options.schema);
  const plans = new WeakMap<DocumentNode, DocumentPlans>();

  const decide = (args: PlannedExecutionArgs, operation: OperationDefinitionNode, variables: Record<string, unknown>): Decision => {
    let forDocument = plans.get(args.document);
    if (!forDocument) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const definition of args.document.definitions) {
        if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      }
      const selectionSets = args.document.definitions.flatMap((d) =>
        d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION ? [d.selectionSet] : [],
      );
      forDocument = { fragments, conditions: conditionVariables(selectionSets), byOperation: new Map() };
      plans.set(args.document, forDocument);
    }
    let key = operation.name?.value ?? '';
    for (const name of forDocument.conditions) key += `|${variables[name] === true ? 1 : 0}`;
    let decision = forDocument.byOperation.get(key);
    if (!decision) {
      try {
        decision = planOperation({ model, operation, fragments: forDocument.fragments, variables });
      } catch (error) {
        // A planner bug must not cost the client its answer: stitching still knows how.
        const reason = error instanceof NotPlannable ? error.message : `planner error: ${(error as Error).message}`;
        decision = { notPlannable: reason };
        options.onFallback?.(reason, operation.name?.value);
      }
      // Each combination of @skip/@include values is its own plan: a document with many
      // condition variables could otherwise grow this map without bound, one request at a time.
      if (forDocument.byOperation.size < MAX_PLANS_PER_DOCUMENT) forDocument.byOperation.set(key, decision);
    }
    return decision;
  };

  return (args, fallback) => {
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) return fallback(args, 'no operation');
    // Invalid variables: graphql-js's own execution reports them, exactly as without a plan.
    const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
    if (coerced.errors) return fallback(args, 'invalid variables');
    const decision = decide(args, operation, coerced.coerced);
    if ('notPlannable' in decision) return fallback(args, decision.notPlannable);
    return runPlanned(decision, args, coerced.coerced);
  };

  async function runPlanned(plan: QueryPlan, args: PlannedExecutionArgs, variables: Record<string, unknown>): Promise<ExecutionResult> {
    const run = await executePlan(plan, {
      executorFor: options.executorFor,
      variables,
      context: args.contextValue,
      signal: args.signal,
    });
    const result = (await execute({
      schema: dataSchema,
      document: args.document,
      rootValue: run.data,
      contextValue: args.contextValue,
      variableValues: args.variableValues,
      operationName: args.operationName,
      fieldResolver: readPlannedField,
    })) as ExecutionResult;
    if (run.errors.length === 0) return result;
    return { ...result, errors: [...(result.errors ?? []), ...run.errors] };
  }
}

/** A field's value is in the merged data under its response key, or its error is beside it. */
const readPlannedField: GraphQLFieldResolver<Record<string | symbol, unknown>, unknown> = (source, _args, _context, info) => {
  const key = info.path.key as string;
  const value = source[key];
  if (value === undefined || value === null) {
    const error = (source[FIELD_ERRORS] as Record<string, Error> | undefined)?.[key];
    if (error) return error;
  }
  return value;
};

/**
 * The client schema with every resolver removed, so graphql-js reads the merged data through
 * `readPlannedField` and resolves abstract types from `__typename` (which plans always fetch).
 */
function withoutResolvers(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.COMPOSITE_FIELD]: (config) => ({ ...config, resolve: undefined, subscribe: undefined }),
    [MapperKind.INTERFACE_TYPE]: (type) => new GraphQLInterfaceType({ ...type.toConfig(), resolveType: undefined }),
    [MapperKind.UNION_TYPE]: (type) => new GraphQLUnionType({ ...type.toConfig(), resolveType: undefined }),
  });
}
