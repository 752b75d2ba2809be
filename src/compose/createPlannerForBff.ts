import { Kind, OperationTypeNode, execute, parse, subscribe, type DocumentNode, type GraphQLField, type GraphQLSchema } from 'graphql';
import type { ExecutionRequest, Executor, IResolvers } from '@graphql-tools/utils';
import type { LoadedBff } from '../config/loadConfig.js';
import { readSupergraphModel } from '../sources/federation/planner/supergraphModel.js';
import type { QueryPlanner } from '../sources/federation/planner/queryPlanner.js';
import type { ResolverKit } from './resolverKit.js';
import type { SourceRuntime } from './buildSourceRuntime.js';
import { buildBffModel, singleKeyField, type EntityLookup, type ModelPart } from './buildBffModel.js';
import { createBffPlanner, type BffPlannerOptions } from './createBffPlanner.js';
import { createSourceGraphExecutor } from './createSourceGraphExecutor.js';
import { createUnrename } from './unrenameDocument.js';

export interface PlannerForBffInput {
  bff: LoadedBff;
  runtimes: ReadonlyMap<string, SourceRuntime>;
  /** The BFF's client schema (stitched, renamed, hidden). */
  schema: GraphQLSchema;
  resolvers?: (kit: ResolverKit) => IResolvers | undefined;
  onFallback?: BffPlannerOptions['onFallback'];
}

/**
 * The planner of a BFF over all its sources, or undefined when the BFF runs by stitching
 * (`engine: 'stitch'`, or a federation source with `queryPlanner: false`).
 */
export function createPlannerForBff(input: PlannerForBffInput): QueryPlanner | undefined {
  const { bff, runtimes } = input;
  if (bff.engine === 'stitch') return undefined;
  const parts: ModelPart[] = [];
  const executors = new Map<string, Executor>();
  for (const name of bff.sources) {
    const runtime = runtimes.get(name);
    if (!runtime) return undefined;
    if (runtime.stitching) {
      if (!runtime.planner) return undefined;
      const supergraph = typeof runtime.planner.supergraphSdl === 'string' ? parse(runtime.planner.supergraphSdl, { noLocation: true }) : runtime.planner.supergraphSdl;
      parts.push({ kind: 'federation', source: name, model: readSupergraphModel(supergraph) });
      for (const [subgraph, executor] of runtime.planner.executors) executors.set(`${name}/${subgraph}`, executor);
      continue;
    }
    const subschema = runtime.subschemas[0];
    if (!subschema || runtime.subschemas.length !== 1) return undefined;
    const lookups = new Map<string, EntityLookup>();
    for (const [typeName, merge] of Object.entries(subschema.merge ?? {})) {
      const keyField = singleKeyField(merge.selectionSet);
      const argument = Object.keys(merge.argsFromKeys?.(['key']) ?? {})[0];
      if (keyField && argument && merge.fieldName) lookups.set(typeName, { keyField, field: merge.fieldName, argument });
    }
    const schema = subschema.schema;
    // A REST source has no executor: its schema runs here, its resolvers batching through the
    // request's DataLoaders, as under stitching. A Redis event source's schema runs here too: a
    // subscription to it listens on its channel, each message an event.
    const run: Executor =
      subschema.executor ??
      ((request: ExecutionRequest) => {
        const args = {
          schema,
          document: request.document,
          variableValues: request.variables ?? {},
          contextValue: request.context,
          ...(request.operationName ? { operationName: request.operationName } : {}),
        };
        return (request.operationType === OperationTypeNode.SUBSCRIPTION ? subscribe(args) : execute(args)) as never;
      });
    parts.push({ kind: 'source', graph: name, schema, lookups });
    executors.set(name, createSourceGraphExecutor({ name, schema, lookups, run }));
  }
  const model = buildBffModel(parts, bff.rename);
  const reverse = new Map(Object.entries(bff.rename).map(([coordinate, renamed]) => {
    const [typeName, fieldName] = coordinate.split('.') as [string, string];
    return [`${typeName}.${renamed}`, fieldName];
  }));
  const unrename = createUnrename(model, reverse);
  const wrapped = new Map<string, Executor>();
  const named = new WeakMap<DocumentNode, DocumentNode>();
  // Fetches are named `<client operation>__<graph>__<id>`, and a federation graph's name has a
  // `/` (`orders/orders`), which no GraphQL name may hold.
  const toSource = (document: DocumentNode): DocumentNode => {
    const renamed = unrename(document);
    let out = named.get(renamed);
    if (!out) {
      out = {
        ...renamed,
        definitions: renamed.definitions.map((definition) =>
          definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value.includes('/')
            ? { ...definition, name: { ...definition.name, value: definition.name.value.replaceAll('/', '_') } }
            : definition,
        ),
      };
      named.set(renamed, out);
    }
    return out;
  };
  for (const [graph, executor] of executors) {
    wrapped.set(graph, (request: ExecutionRequest) =>
      executor({
        ...request,
        document: toSource(request.document),
        ...(request.operationName ? { operationName: request.operationName.replaceAll('/', '_') } : {}),
      }),
    );
  }
  return createBffPlanner({
    model,
    schema: input.schema,
    executorFor(graph) {
      const executor = wrapped.get(graph);
      if (!executor) throw new Error(`no executor for ${graph}`);
      return executor;
    },
    ...(input.resolvers ? { resolvers: input.resolvers } : {}),
    delegateTarget(source, fieldName, operation): GraphQLField<unknown, unknown> | undefined {
      for (const subschema of runtimes.get(source)?.subschemas ?? []) {
        const root = operation === 'query' ? subschema.schema.getQueryType() : subschema.schema.getMutationType();
        const field = root?.getFields()[fieldName];
        if (field) return field;
      }
      return undefined;
    },
    ...(input.onFallback ? { onFallback: input.onFallback } : {}),
    // The BFF's cache bounds and planning budget (config `planner`, docs/query-planner.md).
    planCache: bff.planner.planCache,
    planBudget: bff.planner.planBudget,
  });
}
